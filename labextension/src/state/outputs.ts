/** Images among a cell's outputs, for thumbnails on its card. */

import type { IOutput } from '../types';

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml'];

export interface IOutputImage {
  mime: string;
  /** A `data:` URL (never fetched from elsewhere). */
  src: string;
  /** The output's text/plain, e.g. "<Figure size 700x400 with 1 Axes>". */
  alt: string;
}

function joined(value: unknown): string | null {
  if (Array.isArray(value)) {
    return value.join('');
  }
  return typeof value === 'string' ? value : null;
}

export function outputImages(outputs: readonly IOutput[]): IOutputImage[] {
  const images: IOutputImage[] = [];
  for (const output of outputs) {
    if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') {
      continue;
    }
    const data = output['data'] as Record<string, unknown> | undefined;
    if (!data) {
      continue;
    }
    const mime = IMAGE_TYPES.find(type => joined(data[type]) !== null);
    if (!mime) {
      continue;
    }
    const body = (joined(data[mime]) ?? '').replace(/\n/g, '');
    const src =
      mime === 'image/svg+xml'
        ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(joined(data[mime]) ?? '')}`
        : `data:${mime};base64,${body}`;
    images.push({ mime, src, alt: joined(data['text/plain']) ?? mime });
  }
  return images;
}

/** Whether an output is shown as an image (its text/plain is then only the image's alt). */
export function isImageOutput(output: IOutput): boolean {
  return outputImages([output]).length > 0;
}
