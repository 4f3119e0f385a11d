import { LitElement, css, html } from 'lit';
import type { Prediction } from '../core/classify';
import { isModelId } from '../core/models';
import type { BackendName } from '../../workers/protocol';
import { WorkerClient } from './worker-client';

/**
 * Placeholder shell until the live kiosk lands: loads the model in the inference worker and classifies the
 * bundled sample photo, proving that the DOM-free core runs unchanged in a Web Worker.
 */
export class ConvLensApp extends LitElement {
  static override properties = {
    status: { state: true },
    predictions: { state: true },
  };

  static override styles = css`
    :host { display: block; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
    h1 { font-size: 2rem; margin: 0 0 .5rem; }
    img { width: 100%; border-radius: .5rem; }
    ol { font-size: 1.25rem; }
  `;

  status = 'Loading the model…';
  predictions: Prediction[] = [];
  private readonly client = new WorkerClient();

  override async firstUpdated(): Promise<void> {
    const params = new URLSearchParams(location.search);
    const model = params.get('model') ?? 'standard';
    const backend = params.get('backend') as BackendName | null;
    try {
      const ready = await this.client.request('init', {
        model: isModelId(model) ? model : 'standard',
        modelsUrl: new URL('models/', location.href).href,
        ...(backend ? { backend } : {}),
      });
      if (ready.type !== 'ready') return;
      this.status = `Model ${ready.model} on ${ready.backend}, loaded in ${Math.round(ready.loadMs)} ms`;
      const blob = await (await fetch('gallery/coffee.png')).blob();
      const image = await createImageBitmap(blob);
      const result = await this.client.request('classify', { image, top: 5 }, [image]);
      if (result.type === 'predictions') this.predictions = result.predictions;
    } catch (err) {
      this.status = `Error: ${(err as Error).message}`;
    }
  }

  override render() {
    return html`
      <h1>ConvLens</h1>
      <p role="status">${this.status}</p>
      <img src="gallery/coffee.png" alt="A cup of espresso on a saucer" />
      <ol aria-label="Top-5 predictions">
        ${this.predictions.map((p) => html`<li>${p.label} — ${(p.probability * 100).toFixed(1)} %</li>`)}
      </ol>
    `;
  }
}

customElements.define('convlens-app', ConvLensApp);
