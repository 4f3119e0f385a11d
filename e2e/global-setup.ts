import { ensureFakeCamera } from './chromium';

/** Makes the fake camera's video from a shared photo (once). */
export default function globalSetup(): void {
  ensureFakeCamera();
}
