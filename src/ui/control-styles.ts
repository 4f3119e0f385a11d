import { css } from 'lit';

/**
 * The look of buttons, selects and inputs in every component (shadow DOM does not inherit it): big touch targets
 * (taller in kiosk mode: the shell sets --control-height), a visible focus ring.
 */
export const controlStyles = css`
  button, select, input { font: inherit; color: inherit; background: #2a2a2a; border: 1px solid #555; border-radius: .35rem; padding: var(--control-padding, .45rem .8rem); min-height: var(--control-height, 2.75rem); }
  button { cursor: pointer; }
  button:focus-visible, select:focus-visible, input:focus-visible { outline: 3px solid #6cf; outline-offset: 2px; }
`;
