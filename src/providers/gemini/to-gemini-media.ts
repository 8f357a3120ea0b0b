import type { GeminiPart } from './gemini-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/** File extensions whose MIME type Gemini accepts for `fileData` (images, PDF, audio, video). */
const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif',
  pdf: 'application/pdf',
  wav: 'audio/wav', mp3: 'audio/mp3', aiff: 'audio/aiff', aac: 'audio/aac', ogg: 'audio/ogg', flac: 'audio/flac',
  mp4: 'video/mp4', mpeg: 'video/mpeg', mov: 'video/mov', webm: 'video/webm',
};

const AUDIO_FORMATS: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' };

/**
 * A non-text OpenAI content part → a Gemini part:
 * - `image_url` with a base64 `data:` URL → `inlineData`;
 * - `image_url` with an http(s) URL → `fileData` with the MIME type inferred from the extension
 *   (a Gemini Files API URI needs none); a URL whose type cannot be inferred is rejected;
 * - `input_audio` (wav, mp3) → `inlineData`;
 * - `file` with base64 `file_data` → `inlineData` (uploaded `file_id`s live at OpenAI: rejected).
 */
export function toGeminiMediaPart(p: Record<string, unknown>, param: string): GeminiPart {
  switch (p.type) {
    case 'image_url': {
      const url = isObject(p.image_url) ? p.image_url.url : undefined;
      if (typeof url !== 'string') throw badRequest(`${param}.image_url.url`, '"image_url.url" must be a string');
      return url.startsWith('data:') ? dataUrlPart(url, `${param}.image_url.url`) : remotePart(url, `${param}.image_url.url`);
    }
    case 'input_audio': {
      const audio = isObject(p.input_audio) ? p.input_audio : {};
      const mimeType = typeof audio.format === 'string' ? AUDIO_FORMATS[audio.format] : undefined;
      if (!mimeType) throw badRequest(`${param}.input_audio.format`, '"input_audio.format" must be "wav" or "mp3"');
      if (typeof audio.data !== 'string' || audio.data.length === 0) throw badRequest(`${param}.input_audio.data`, '"input_audio.data" must be base64 audio');
      return { inlineData: { mimeType, data: audio.data } };
    }
    case 'file': {
      const file = isObject(p.file) ? p.file : {};
      if (given(file.file_id)) throw unsupported(`${param}.file.file_id`, 'files uploaded to OpenAI ("file_id") cannot be read by Gemini; send "file_data"');
      if (typeof file.file_data !== 'string') throw badRequest(`${param}.file.file_data`, '"file.file_data" must be a base64 data URL');
      if (file.file_data.startsWith('data:')) return dataUrlPart(file.file_data, `${param}.file.file_data`);
      const mimeType = typeof file.filename === 'string' ? mimeFromPath(file.filename) : undefined;
      if (!mimeType) throw unsupported(`${param}.file`, 'cannot tell the file\'s MIME type: send "file_data" as a data: URL or a "filename" with a known extension');
      return { inlineData: { mimeType, data: file.file_data } };
    }
    default:
      throw unsupported(`${param}.type`, `content part type "${String(p.type)}" is not supported`);
  }
}

function dataUrlPart(url: string, param: string): GeminiPart {
  const comma = url.indexOf(',');
  const meta = comma === -1 ? '' : url.slice(5, comma);
  const mimeType = meta.split(';')[0]!.trim().toLowerCase();
  if (!meta.endsWith(';base64') || !/^[\w.+-]+\/[\w.+-]+$/.test(mimeType)) {
    throw unsupported(param, 'only base64 data: URLs with a MIME type ("data:image/png;base64,...") can be sent to Gemini');
  }
  return { inlineData: { mimeType, data: url.slice(comma + 1) } };
}

function remotePart(url: string, param: string): GeminiPart {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(param, `"${param}" is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw unsupported(param, `URL scheme "${parsed.protocol}" is not supported; use http(s) or a data: URL`);
  // Files API URIs (from Gemini's own upload endpoint) carry their MIME type.
  if (parsed.hostname === 'generativelanguage.googleapis.com' && /\/files\/[^/]+$/.test(parsed.pathname)) return { fileData: { fileUri: url } };
  const mimeType = mimeFromPath(parsed.pathname);
  if (!mimeType) {
    throw unsupported(param, `cannot tell the MIME type of "${url.slice(0, 200)}" from its extension, and Gemini needs it for URL parts; send the image as a base64 data: URL`);
  }
  return { fileData: { mimeType, fileUri: url } };
}

function mimeFromPath(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? undefined : MIME_BY_EXTENSION[path.slice(dot + 1).toLowerCase()];
}
