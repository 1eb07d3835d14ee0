/** How long the simulator "plays" a media URI, and whether the sound exists. */
export interface SoundLibrary {
  /** Seconds, or undefined when the file does not exist (playback fails). */
  durationS(mediaUri: string): number | undefined;
}

/** Durations of the stock prompts seen in the recordings (seconds). */
const STOCK: Record<string, number> = {
  'hello-world': 1.247,
  'queue-thankyou': 4.35,
  beep: 0.25,
  'tt-monkeys': 8,
  'vm-goodbye': 0.9,
};

export interface SoundLibraryOptions {
  /** Extra or overriding sound durations, by name without `sound:`. */
  sounds?: Record<string, number>;
  /** What an unknown sound does: play for this many seconds, or 'fail' like a missing file. */
  unknownSound?: number | 'fail';
}

export function soundLibrary(opts: SoundLibraryOptions = {}): SoundLibrary {
  const known = { ...STOCK, ...(opts.sounds ?? {}) };
  const unknown = opts.unknownSound ?? 1.5;
  return {
    durationS(mediaUri: string): number | undefined {
      const colon = mediaUri.indexOf(':');
      const scheme = colon < 0 ? '' : mediaUri.slice(0, colon);
      const name = colon < 0 ? mediaUri : mediaUri.slice(colon + 1);
      if (scheme === 'sound') {
        const silence = /^silence\/(\d+)$/.exec(name);
        if (silence) return Number(silence[1]);
        if (name in known) return known[name];
        if (name.startsWith('no-such')) return undefined;
        return unknown === 'fail' ? undefined : unknown;
      }
      if (scheme === 'digits' || scheme === 'number' || scheme === 'characters') return 0.5 * Math.max(1, name.length);
      if (scheme === 'tone') return 2;
      if (scheme === 'recording') return 3;
      return undefined;
    },
  };
}
