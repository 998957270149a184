// `--augment LIST` -> data.augment options: every word, and the errors a user gets before training starts.
import { describe, it, expect } from 'vitest';
import { parseAugment, UsageError } from '../src/cli/args.js';

describe('--augment', () => {
  it('maps every word to its data.augment option', () => {
    expect(parseAugment('flip,vflip,crop:3,rotate:15,zoom:0.1,brightness:0.2,contrast:0.25,cutout:8')).toEqual({
      flipHorizontal: true, flipVertical: true, randomCrop: { padding: 3 }, rotation: 15, zoom: 0.1,
      brightness: 0.2, contrast: 0.25, cutout: { size: 8 },
    });
    expect(parseAugment('crop')).toEqual({ randomCrop: { padding: 2 } });
    expect(parseAugment('none')).toBeNull();
  });

  it.each([
    ['rotate', /rotate needs a number/],
    ['zoom:x', /zoom needs a number/],
    ['zoom:1.5', /zoom must be a number in \[0, 1\), got 1\.5/],
    ['rotate:200', /rotation \(degrees\) must be a number in \[0, 180\]/],
    ['contrast:2', /contrast must be a number in \[0, 1\]/],
    ['cutout:0', /cutout\.size must be a positive integer/],
    ['shear:3', /unknown augmentation 'shear:3'.*rotate:DEG/],
  ])('%s is a UsageError naming the option', (text, message) => {
    expect(() => parseAugment(text)).toThrow(UsageError);
    expect(() => parseAugment(text)).toThrow(message);
  });
});
