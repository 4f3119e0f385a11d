import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { LIVE_VIEWS } from '../src/core/live/settings';
import { addPngText, readPngText } from '../src/core/render/png-text';
import { IdleSchedule } from '../src/ui/idle-schedule';
import { DEFAULT_KIOSK_CONFIG, caption, kioskConfigUrl, parseKioskConfig } from '../src/ui/kiosk-config';
import { SHORTCUTS, SHORTCUT_ACTIONS, keyLabel, shortcutFor } from '../src/ui/shortcuts';

describe('kiosk configuration file', () => {
  it('the shipped public/kiosk.json is valid', () => {
    const { config, problems } = parseKioskConfig(JSON.parse(readFileSync('public/kiosk.json', 'utf8')));
    expect(problems).toEqual([]);
    expect(config.views[0]).toBe('saliency');
    expect(config.layer).toBe('conv_pw_5_relu');
    expect(config.tools).toBe(false);
  });

  it('Teach mode is off in a kiosk unless its file says `teach: true`; anything else is a problem', () => {
    expect(parseKioskConfig({}).config.teach).toBe(false);
    expect(parseKioskConfig({ teach: true })).toMatchObject({ config: { teach: true }, problems: [] });
    expect(parseKioskConfig({ teach: 'yes' })).toMatchObject({ config: { teach: false }, problems: ['"teach" must be true or false'] });
  });

  it('keeps good settings, reports each bad one and uses the default for it', () => {
    const { config, problems } = parseKioskConfig({
      views: ['gradcam', 'bogus', 'saliency', 'gradcam'],
      attractAfterSeconds: -3,
      idleResetSeconds: 20,
      model: 'huge',
      colour: 'red',
      $comment: 'ignored',
      strings: { captions: { gradcam: 'Hot spots for {label}', nope: 'x' }, title: 'Lens', extra: 'y' },
    });
    expect(config.views).toEqual(['gradcam', 'saliency']);
    expect(config.attractAfterSeconds).toBe(DEFAULT_KIOSK_CONFIG.attractAfterSeconds);
    expect(config.idleResetSeconds).toBe(20);
    expect(config.model).toBeUndefined();
    expect(config.strings.title).toBe('Lens');
    expect(config.strings.captions.gradcam).toBe('Hot spots for {label}');
    expect(config.strings.captions.saliency).toBe(DEFAULT_KIOSK_CONFIG.strings.captions.saliency);
    expect(problems).toHaveLength(7);
    for (const word of ['"bogus"', 'attractAfterSeconds', '"huge"', '"colour"', '"nope"', '"extra"', 'shorter than']) {
      expect(problems.some((p) => p.includes(word)), word).toBe(true);
    }
    // The defaults object is never mutated by a parse.
    expect(DEFAULT_KIOSK_CONFIG.strings.captions.gradcam).not.toBe('Hot spots for {label}');
  });

  it('rejects a non-object file and a file on another origin', () => {
    expect(parseKioskConfig([1, 2]).problems).toEqual(['the kiosk file must hold a JSON object']);
    expect(parseKioskConfig([1, 2]).config.views).toEqual([...LIVE_VIEWS]);
    expect(kioskConfigUrl('', 'http://localhost:4173/?kiosk')).toEqual({ url: 'http://localhost:4173/kiosk.json' });
    expect(kioskConfigUrl('museum/hall2.json', 'http://localhost:4173/app/?kiosk=museum/hall2.json')).toEqual({ url: 'http://localhost:4173/app/museum/hall2.json' });
    expect(kioskConfigUrl('https://evil.example/k.json', 'http://localhost:4173/')).toHaveProperty('problem');
    expect(kioskConfigUrl('//evil.example/k.json', 'http://localhost:4173/')).toHaveProperty('problem');
  });

  it('fills caption templates', () => {
    expect(caption('“{label}” at {layer}, again {label}', { label: 'espresso', layer: 'conv_pw_5_relu' })).toBe('“espresso” at conv_pw_5_relu, again espresso');
  });
});

describe('idle schedule', () => {
  const times = { attractAfterMs: 30_000, attractStepMs: 8_000, idleResetMs: 90_000 };
  const types = (events: { type: string }[]): string[] => events.map((e) => e.type);

  it('starts the attract loop, steps it, resets once per idle period, and a touch ends it', () => {
    const clock = new IdleSchedule(times, 0);
    expect(types(clock.tick(29_999))).toEqual([]);
    expect(types(clock.tick(30_000))).toEqual(['attract-start']);
    expect(clock.attract).toBe(true);
    expect(types(clock.tick(37_999))).toEqual([]);
    expect(types(clock.tick(38_000))).toEqual(['attract-step']);
    const late: string[] = [];
    for (let t = 38_250; t <= 200_000; t += 250) late.push(...types(clock.tick(t)));
    expect(late.filter((e) => e === 'reset')).toHaveLength(1);
    expect(late.filter((e) => e === 'attract-step')).toHaveLength(Math.floor((200_000 - 38_000) / 8_000));
    expect(types(clock.touch(200_100))).toEqual(['attract-stop']);
    expect(clock.attract).toBe(false);
    expect(types(clock.tick(200_200 + 29_000))).toEqual([]);
    // A new idle period: the reset is armed again.
    expect(types(clock.tick(200_100 + 90_000))).toEqual(['reset', 'attract-start']);
  });

  it('touches keep postponing both', () => {
    const clock = new IdleSchedule(times, 0);
    for (let t = 0; t < 300_000; t += 20_000) {
      clock.touch(t);
      expect(clock.tick(t + 19_000)).toEqual([]);
    }
  });
});

describe('keyboard shortcuts', () => {
  it('every action has exactly one entry, and no key is bound twice', () => {
    expect(SHORTCUTS.map((s) => s.action).sort()).toEqual([...SHORTCUT_ACTIONS].sort());
    const keys = SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps keys to actions and leaves browser chords alone', () => {
    const press = (key: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) =>
      shortcutFor({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });
    expect(press('PageDown')).toBe('next-view');
    expect(press(' ')).toBe('freeze');
    expect(press('S')).toBe('job-shapley');
    expect(press('s')).toBe('saliency-method');
    expect(press('e', { ctrlKey: true })).toBeUndefined();
    expect(press('ArrowLeft', { altKey: true })).toBeUndefined();
    expect(press('z')).toBeUndefined();
    expect(keyLabel('M')).toBe('Shift+m');
    expect(keyLabel(' ')).toBe('Space');
  });
});

describe('PNG text metadata', () => {
  const png = new Uint8Array(readFileSync('public/gallery/coffee.png'));

  it('adds UTF-8 captions that read back, and the image still decodes to the same pixels', () => {
    const text = { Title: 'ConvLens — Saliency', Description: 'Bright pixels change the score of “espresso” most; ünïcode ✓' };
    const tagged = addPngText(png, text);
    expect(tagged.length).toBeGreaterThan(png.length);
    expect(readPngText(tagged)).toMatchObject(text);
    const before = PNG.sync.read(Buffer.from(png));
    const after = PNG.sync.read(Buffer.from(tagged));
    expect(after.width).toBe(before.width);
    expect(Buffer.compare(after.data, before.data)).toBe(0);
  });

  it('detects a damaged text chunk and refuses a non-PNG', () => {
    const tagged = addPngText(png, { Description: 'hello' });
    const at = Buffer.from(tagged).indexOf('hello');
    tagged[at] = 'j'.charCodeAt(0);
    expect(() => readPngText(tagged)).toThrow(/corrupt iTXt/);
    expect(() => addPngText(new Uint8Array([1, 2, 3]), {})).toThrow(/not a PNG/);
    expect(() => addPngText(png, { 'bad\nkey': 'x' })).toThrow(/keyword/);
  });
});
