import type { Page } from '@playwright/test';

/**
 * Layout checks that hold on every screen size, run in the page through every shadow root:
 * - no two visible controls or text blocks overlap (bounding boxes, clipped by their scroll containers; the
 *   picture with its overlay and badges counts as one block, and badges are checked against each other);
 * - nothing is cut off: every visible control and text block lies inside the viewport horizontally and inside
 *   every clipping ancestor, unless that ancestor scrolls to it; no text spills out of its box;
 * - every tap target is hit where it is drawn: scrolled into view, document.elementFromPoint at its centre
 *   (descending through shadow roots) returns it or something inside it.
 * Each problem is one line naming the element(s) and the boxes.
 */
export async function layoutProblems(page: Page, options: { taps?: boolean } = {}): Promise<string[]> {
  return page.evaluate(async ({ taps }) => {
    const CONTROLS = 'button, select, input:not([type=file]):not([type=hidden]), textarea, [role=tab], [role=slider], a[href]';
    const problems: string[] = [];
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of root.querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    /** The flat-tree parent (through shadow roots and slots). */
    const parentOf = (el: Element): Element | null => (el.assignedSlot ?? el.parentElement ?? ((el.getRootNode() as ShadowRoot).host as Element | undefined) ?? null);
    const ancestors = (el: Element): Element[] => {
      const out: Element[] = [];
      for (let p = parentOf(el); p; p = parentOf(p)) out.push(p);
      return out;
    };
    const inside = (el: Element, container: Element): boolean => el === container || ancestors(el).includes(container);
    const name = (el: Element): string => {
      const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      return `${el.tagName.toLowerCase()}${cls}${text ? ` "${text}"` : ''}`;
    };
    const box = (r: DOMRect): string => `[${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}]`;
    const visible = (el: Element): boolean => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    };
    const clips = (el: Element): Element[] =>
      ancestors(el).filter((a) => {
        const s = getComputedStyle(a);
        return s.overflowX !== 'visible' || s.overflowY !== 'visible';
      });
    const scrolls = (a: Element, axis: 'x' | 'y'): boolean => /auto|scroll/.test(getComputedStyle(a)[axis === 'x' ? 'overflowX' : 'overflowY']);
    /** The part of el's box that is not clipped away by its clipping ancestors (undefined: clipped away). */
    const shown = (el: Element): DOMRect | undefined => {
      let r = el.getBoundingClientRect();
      for (const a of clips(el)) {
        const c = a.getBoundingClientRect();
        const left = Math.max(r.left, c.left), top = Math.max(r.top, c.top), right = Math.min(r.right, c.right), bottom = Math.min(r.bottom, c.bottom);
        if (right - left < 1 || bottom - top < 1) return undefined;
        r = new DOMRect(left, top, right - left, bottom - top);
      }
      return r;
    };
    /** Overlays that are meant to cover the page (open dialogs, the HUD) are checked on their own. */
    const overlay = document.querySelector('convlens-app')?.shadowRoot?.querySelector('shortcut-help, model-error');
    const hud = document.querySelector('convlens-app')?.shadowRoot?.querySelector('.hud') ?? null;
    // The one-time "Ready to work offline" notice floats over the page for 6 s by design (a toast, pointer-events
    // only on itself); it appears whenever the service worker finishes precaching, so a check that happens to run
    // then would fail on timing alone. The update prompt ("Reload now") is still checked.
    const toast = document.querySelector('convlens-app')?.shadowRoot?.querySelector('update-banner')?.shadowRoot?.querySelector('[data-testid="offline-ready"]') ?? null;
    const pictures = all.filter((el) => el.classList.contains('picture') && el.parentElement?.classList.contains('stage'));
    const inPicture = (el: Element): Element | undefined => pictures.find((p) => p !== el && inside(el, p));
    const hasOwnText = (el: Element): boolean => [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '');
    const candidates = all.filter((el) => {
      if (!visible(el) || (hud && inside(el, hud)) || (toast && inside(el, toast))) return false;
      if (overlay && !inside(el, overlay)) return false; // with a dialog open, only the dialog counts
      if (el.closest('option, select, button') && !el.matches(CONTROLS)) return false;
      if (el.matches('svg *')) return false;
      return el.matches(CONTROLS) || hasOwnText(el) || pictures.includes(el);
    });
    // A block that contains another block is its container, not its neighbour: keep the innermost text carriers.
    const blocks = candidates.filter((el) => !(hasOwnText(el) && !el.matches(CONTROLS) && candidates.some((o) => o !== el && o.matches(CONTROLS) && inside(el, o))));

    // Nothing cut off.
    const vw = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > vw + 1) problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in a ${vw} px viewport`);
    for (const el of blocks) {
      const r = el.getBoundingClientRect();
      if (r.left < -1 || r.right > vw + 1) problems.push(`cut off at the viewport's side: ${name(el)} ${box(r)}`);
      for (const a of clips(el)) {
        if (pictures.includes(a)) continue; // badges sit on the picture
        const c = a.getBoundingClientRect();
        const outX = r.left < c.left - 1 || r.right > c.right + 1;
        const outY = r.top < c.top - 1 || r.bottom > c.bottom + 1;
        const reachX = r.left - c.left + a.scrollLeft >= -1 && r.right - c.left + a.scrollLeft <= a.scrollWidth + 1;
        const reachY = r.top - c.top + a.scrollTop >= -1 && r.bottom - c.top + a.scrollTop <= a.scrollHeight + 1;
        if ((outX && !(scrolls(a, 'x') && reachX)) || (outY && !(scrolls(a, 'y') && reachY))) problems.push(`cut off by ${name(a)} ${box(c)}: ${name(el)} ${box(r)}`);
      }
      if (el instanceof HTMLElement && hasOwnText(el) && getComputedStyle(el).overflowX === 'visible' && el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0) {
        problems.push(`text spills out of ${name(el)}: ${el.scrollWidth} px in ${el.clientWidth} px`);
      }
    }

    // No overlaps (the picture is one block; what sits on it is compared with the other things on it).
    const rects = blocks.map((el) => ({ el, r: shown(el), picture: inPicture(el) })).filter((b): b is { el: Element; r: DOMRect; picture: Element | undefined } => b.r !== undefined);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const a = rects[i]!, b = rects[j]!;
        if (inside(a.el, b.el) || inside(b.el, a.el)) continue;
        if (a.picture !== b.picture) continue; // what sits on the picture is compared with what else sits on it; the picture as a whole with the rest
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 1 && h > 1) problems.push(`overlap ${Math.round(w)}×${Math.round(h)}: ${name(a.el)} ${box(a.r)} and ${name(b.el)} ${box(b.r)}`);
      }
    }

    // Tap targets hit where they are drawn.
    if (taps) {
      const deepHit = (x: number, y: number): Element | null => {
        let el = document.elementFromPoint(x, y);
        while (el?.shadowRoot) {
          const inner = el.shadowRoot.elementFromPoint(x, y);
          if (!inner || inner === el) break;
          el = inner;
        }
        return el;
      };
      for (const el of blocks.filter((b) => b.matches(CONTROLS))) {
        el.scrollIntoView({ block: 'center', inline: 'center' });
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        const hit = deepHit(x, y);
        if (!hit || !inside(hit, el)) problems.push(`tap at the centre of ${name(el)} ${box(r)} hits ${hit ? name(hit) : 'nothing'}`);
      }
      window.scrollTo(0, 0);
    }
    return [...new Set(problems)];
  }, { taps: options.taps ?? true });
}
