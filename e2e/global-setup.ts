import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FAKE_CAMERA } from '../playwright.config';

/** Makes the fake camera's video from a shared photo (a .y4m: Chromium's fake capture reads it reliably). */
export default function globalSetup(): void {
  if (existsSync(FAKE_CAMERA)) return;
  mkdirSync(dirname(FAKE_CAMERA), { recursive: true });
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', 'public/gallery/coffee.png', '-t', '2', '-r', '10', '-pix_fmt', 'yuv420p', FAKE_CAMERA]);
}
