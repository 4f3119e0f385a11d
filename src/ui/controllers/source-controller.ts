import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AppState } from '../app-state';
import { CameraReconnect, cameraMayReturn } from '../camera';
import { type Crop, cameraErrorMessage } from '../frame-source';
import type { Store } from '../store';

/** The bundled pictures offered as sources (public/gallery/). */
export const SAMPLE_IMAGES = ['coffee.png', 'chelsea.png', 'astronaut.png', 'motorcycle_left.png', 'rocket.jpg'] as const;

/** A frame cut for the model: the bitmap (224×224), the square it was cut from, and the picture's size. */
export interface Grabbed {
  bitmap: ImageBitmap;
  crop: Crop;
  width: number;
  height: number;
}

/** What the controller needs from the browser (tests pass fakes). */
export interface SourceEnv {
  mediaDevices(): Pick<MediaDevices, 'getUserMedia' | 'enumerateDevices'> | undefined;
  /** The two elements that show the picture, made once: a video (camera, video files) and an image. */
  createVideo(): HTMLVideoElement;
  createImage(): HTMLImageElement;
  objectUrl(file: Blob): string;
  /** The centred square of the media, scaled to `size` (frame-source.ts grabFrame). */
  grab(media: HTMLVideoElement | HTMLImageElement, size?: number): Promise<Grabbed | undefined>;
  /** A copy of the whole picture now (what a frozen frame keeps). */
  snapshot(media: HTMLVideoElement | HTMLImageElement): Promise<ImageBitmap>;
  /** The model's 224×224 square of a kept picture. */
  cut(picture: ImageBitmap, crop: Crop): Promise<ImageBitmap>;
  /** Replaces a transparent picture by its composite over the model's background (frame-source.ts showOpaque). */
  opaque?(image: HTMLImageElement): Promise<void>;
  /** Looks for a re-plugged camera (camera.ts); tests pass one with short delays. */
  reconnect?(tryOpen: () => Promise<boolean>): CameraReconnect;
}

/**
 * Where frames come from: the camera (choice of device, front/back), a bundled or picked picture, or a video
 * file; the camera unplugged (a sample picture meanwhile, back by itself once re-plugged); freezing the frame.
 * Each source change counts a generation, and nothing is grabbed until the new source shows its picture, so a
 * frame of the previous source is never taken for one of the new (LiveFrames drops replies of an older generation).
 */
export class SourceController implements ReactiveController {
  private stream: MediaStream | undefined;
  /** Camera choice: a device id when the visitor picked one, else the facing mode (selfie or rear camera). */
  private deviceId: string | undefined;
  private facing: 'user' | 'environment' = 'user';
  private frozenPicture: { picture: ImageBitmap; crop: Crop; width: number; height: number } | undefined;
  private switching = 0;
  private sampleIndex = 0;
  private videoElement: HTMLVideoElement | undefined;
  private imageElement: HTMLImageElement | undefined;
  private readonly reconnect: CameraReconnect;

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly env: SourceEnv,
  ) {
    const tryOpen = async (): Promise<boolean> => {
      const stream = await this.openCamera(false);
      if (!this.reconnect.watching) {
        stream.getTracks().forEach((t) => t.stop());
        return false;
      }
      await this.showCamera(stream);
      return true;
    };
    this.reconnect = env.reconnect?.(tryOpen) ?? new CameraReconnect(tryOpen);
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.reconnect.stop();
  }

  /** Looking for an unplugged camera now. */
  get watchingForCamera(): boolean {
    return this.reconnect.watching;
  }

  private get video(): HTMLVideoElement {
    return (this.videoElement ??= this.env.createVideo());
  }

  private get image(): HTMLImageElement {
    return (this.imageElement ??= this.env.createImage());
  }

  /** Runs a source change: a new generation at once, and no grabs until `work` is done. */
  private async switchTo(work: () => Promise<void>): Promise<void> {
    this.switching++;
    this.store.update((s) => ({ sourceGeneration: s.sourceGeneration + 1 }));
    try {
      await work();
    } finally {
      this.switching--;
    }
  }

  async startCamera(): Promise<void> {
    this.unfreeze();
    this.reconnect.stop();
    try {
      const stream = await this.openCamera(true);
      await this.showCamera(stream);
    } catch (err) {
      this.store.set({ cameraMessage: `${cameraErrorMessage(err)} You can still explore the sample pictures, or pick your own image or video.` });
      await this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
      // Unplugged or busy rather than refused: keep looking for it and switch back by itself (camera.ts).
      if (cameraMayReturn(err)) this.reconnect.start();
    }
  }

  /** The other camera (selfie ↔ rear). */
  switchFacing(): Promise<void> {
    this.facing = this.facing === 'user' ? 'environment' : 'user';
    this.deviceId = undefined;
    return this.startCamera();
  }

  pickCamera(deviceId: string): Promise<void> {
    this.deviceId = deviceId;
    return this.startCamera();
  }

  /** The chosen camera: exactly that device, or (looking for a re-plugged camera) preferably it. */
  private async openCamera(exact: boolean): Promise<MediaStream> {
    const devices = this.env.mediaDevices();
    if (!devices?.getUserMedia) throw new Error('no camera API');
    const which: MediaTrackConstraints = this.deviceId ? { deviceId: exact ? { exact: this.deviceId } : this.deviceId } : { facingMode: this.facing };
    return devices.getUserMedia({ video: { ...which, width: { ideal: 1280 } }, audio: false });
  }

  private async showCamera(stream: MediaStream): Promise<void> {
    await this.switchTo(async () => {
      this.stream?.getTracks().forEach((t) => t.stop());
      this.stream = stream;
      const track = stream.getVideoTracks()[0]!;
      track.addEventListener('ended', () => void this.cameraLost(stream));
      const settings = track.getSettings();
      this.deviceId = settings.deviceId;
      const cameras = ((await this.env.mediaDevices()?.enumerateDevices()) ?? []).filter((d) => d.kind === 'videoinput');
      const video = this.video;
      video.removeAttribute('src');
      video.srcObject = stream;
      video.loop = false;
      this.store.set({ source: 'camera', media: video, mirrored: settings.facingMode !== 'environment', cameraMessage: null, cameras, cameraId: settings.deviceId });
      await video.play();
    });
  }

  /** The live track ended (camera unplugged): a sample picture meanwhile, and back to the camera once it returns. */
  private async cameraLost(stream: MediaStream): Promise<void> {
    if (this.stream !== stream || this.store.state.source !== 'camera') return;
    await this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
    this.store.set({ cameraMessage: 'The camera was disconnected. Showing a sample picture until it is plugged in again.' });
    this.reconnect.start();
  }

  /** A picture by URL (a bundled one, or an object URL of a picked or dropped file). */
  async useImage(url: string): Promise<void> {
    this.reconnect.stop(); // a picture chosen (by the visitor, or as the stand-in for a lost camera)
    this.unfreeze();
    await this.switchTo(async () => {
      this.stopCamera();
      const image = this.image;
      image.src = url;
      this.store.set({ source: 'image', media: image, mirrored: false });
      await image
        .decode()
        .then(() => this.env.opaque?.(image))
        .catch(() => this.store.set({ error: 'That picture could not be read (not an image, or damaged).' }));
    });
  }

  /** The next bundled picture (key p). */
  nextSample(): Promise<void> {
    return this.useImage(`gallery/${SAMPLE_IMAGES[this.sampleIndex++ % SAMPLE_IMAGES.length]}`);
  }

  /** A picked or dropped file: an image, or a video played in a loop. */
  async useFile(file: File): Promise<void> {
    this.reconnect.stop();
    this.unfreeze();
    if (file.type.startsWith('image/')) return this.useImage(this.env.objectUrl(file));
    if (!file.type.startsWith('video/')) {
      this.store.set({ error: `“${file.name}” is not an image or a video.` });
      return;
    }
    await this.switchTo(async () => {
      this.stopCamera();
      const video = this.video;
      video.srcObject = null;
      video.src = this.env.objectUrl(file);
      video.loop = true;
      this.store.set({ source: 'video', media: video, mirrored: false });
      await video.play().catch(() => this.store.set({ error: 'That video could not be played.' }));
    });
  }

  private stopCamera(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
  }

  /** Holds the picture now: every frame (and job) then uses it, and a video pauses. */
  async freeze(): Promise<void> {
    const media = this.store.state.media;
    if (this.frozenPicture || !media || this.switching) return;
    const grabbed = await this.env.grab(media, 224);
    if (!grabbed) return;
    grabbed.bitmap.close();
    this.frozenPicture = { picture: await this.env.snapshot(media), crop: grabbed.crop, width: grabbed.width, height: grabbed.height };
    if (media === this.videoElement) media.pause();
    this.store.set({ frozen: true });
  }

  unfreeze(): void {
    if (!this.frozenPicture) return;
    this.frozenPicture.picture.close();
    this.frozenPicture = undefined;
    const media = this.store.state.media;
    if (media && media === this.videoElement) void media.play().catch(() => undefined);
    this.store.set({ frozen: false });
  }

  /** The model's 224×224 view of the current picture: the frozen one while frozen, else the live media. */
  async grab(): Promise<Grabbed | undefined> {
    if (this.switching) return undefined;
    if (this.frozenPicture) {
      const { picture, crop, width, height } = this.frozenPicture;
      return { bitmap: await this.env.cut(picture, crop), crop, width, height };
    }
    const media = this.store.state.media;
    if (!media || (media === this.videoElement && media.readyState < 2)) return undefined;
    return this.env.grab(media);
  }

  /** The picture a figure is drawn from: the frozen one while frozen, else the live media. */
  figurePicture(): CanvasImageSource | undefined {
    return this.frozenPicture?.picture ?? this.store.state.media;
  }
}
