import { describe, expect, it } from 'vitest';
import { PROVIDER_TYPE_NAMES } from '../../../../src/config/index.js';
import {
  LOCAL_PROVIDER_TYPES, PRESETS, PROVIDER_TYPES, getPreset, isProviderType, modelsUrl, parseModelList,
} from '../../../../src/providers/presets/index.js';

const REQUIRED = [
  'openai', 'anthropic', 'gemini', 'ollama', 'lmstudio', 'cohere', 'mistral', 'groq', 'cerebras', 'xai', 'deepinfra',
  'together', 'perplexity', 'openrouter', 'llamacpp', 'localai', 'jan', 'gpt4all', 'vllm', 'github-models', 'nvidia-nim',
  'openai-compatible',
];
const PROTOCOLS = ['openai', 'anthropic', 'gemini', 'ollama', 'cohere'];
const AUTH = ['bearer', 'x-api-key', 'x-goog-api-key', 'none'];

describe('preset table', () => {
  it('has every required provider type, keyed by its own type', () => {
    expect(PROVIDER_TYPES.length).toBeGreaterThanOrEqual(22);
    for (const type of REQUIRED) expect(PROVIDER_TYPES).toContain(type);
    for (const type of PROVIDER_TYPES) expect(PRESETS[type].type).toBe(type);
    expect([...PROVIDER_TYPES]).toEqual(Object.keys(PRESETS));
  });

  it('covers exactly the types the config schema accepts', () => {
    expect([...PROVIDER_TYPES].sort()).toEqual([...PROVIDER_TYPE_NAMES].sort());
  });

  it('uses only known protocols and auth styles, with native protocols where they exist', () => {
    for (const type of PROVIDER_TYPES) {
      expect(PROTOCOLS).toContain(PRESETS[type].protocol);
      expect(AUTH).toContain(PRESETS[type].auth);
    }
    expect(PRESETS.anthropic).toMatchObject({ protocol: 'anthropic', auth: 'x-api-key' });
    expect(PRESETS.gemini).toMatchObject({ protocol: 'gemini', auth: 'x-goog-api-key' });
    expect(PRESETS.ollama).toMatchObject({ protocol: 'ollama', auth: 'none' });
    expect(PRESETS.cohere).toMatchObject({ protocol: 'cohere', auth: 'bearer' });
    const native = new Set(['anthropic', 'gemini', 'ollama', 'cohere']);
    for (const type of PROVIDER_TYPES) if (!native.has(type)) expect(PRESETS[type].protocol, type).toBe('openai');
  });

  it('has a parseable base URL for every type but the custom one: https in the cloud, loopback http locally', () => {
    for (const type of PROVIDER_TYPES) {
      const preset = PRESETS[type];
      if (type === 'openai-compatible') {
        expect(preset.base_url).toBeNull();
        continue;
      }
      expect(preset.base_url, type).not.toBeNull();
      const url = new URL(preset.base_url!);
      expect(url.search + url.hash).toBe('');
      expect(preset.base_url!.endsWith('/'), type).toBe(false);
      if (preset.local) {
        expect(url.protocol).toBe('http:');
        expect(url.hostname).toBe('127.0.0.1');
        expect(Number(url.port)).toBeGreaterThan(0);
      } else {
        expect(url.protocol, type).toBe('https:');
      }
    }
  });

  it('asks for a key exactly where one is needed, and names a valid env var for it', () => {
    for (const type of PROVIDER_TYPES) {
      const p = PRESETS[type];
      if (p.auth === 'none') expect(p.needs_key, type).toBe(false);
      if (p.needs_key) expect(p.key_env, type).toMatch(/^[A-Z][A-Z0-9_]*$/);
      if (!p.local && type !== 'openai-compatible') expect(p.needs_key, type).toBe(true);
    }
    expect(PRESETS.openai.key_env).toBe('OPENAI_API_KEY');
    expect(PRESETS.anthropic.key_env).toBe('ANTHROPIC_API_KEY');
    expect(PRESETS.gemini.key_env).toBe('GEMINI_API_KEY');
    expect(PRESETS.groq.key_env).toBe('GROQ_API_KEY');
  });

  it('marks the local servers as local and keyless, except Jan which insists on a key', () => {
    expect([...LOCAL_PROVIDER_TYPES].sort()).toEqual(['gpt4all', 'jan', 'llamacpp', 'lmstudio', 'localai', 'ollama', 'vllm']);
    for (const type of LOCAL_PROVIDER_TYPES) expect(PRESETS[type].needs_key, type).toBe(type === 'jan');
  });

  it('keeps the documented default ports and paths', () => {
    expect(PRESETS.ollama.base_url).toBe('http://127.0.0.1:11434');
    expect(PRESETS.lmstudio.base_url).toBe('http://127.0.0.1:1234/v1');
    expect(PRESETS.jan.base_url).toBe('http://127.0.0.1:1337/v1');
    expect(PRESETS.gpt4all.base_url).toBe('http://127.0.0.1:4891/v1');
    expect(PRESETS.vllm.base_url).toBe('http://127.0.0.1:8000/v1');
    expect(PRESETS.llamacpp.base_url).toBe('http://127.0.0.1:8080/v1');
    expect(PRESETS.groq.base_url).toBe('https://api.groq.com/openai/v1');
    expect(PRESETS.deepinfra.base_url).toBe('https://api.deepinfra.com/v1/openai');
    expect(PRESETS.anthropic.default_headers).toEqual({ 'anthropic-version': '2023-06-01' });
  });

  it('has a short note and a docs link on every row', () => {
    for (const type of PROVIDER_TYPES) {
      expect(PRESETS[type].notes.length, type).toBeGreaterThan(10);
      expect(PRESETS[type].notes.length, type).toBeLessThan(200);
      expect(new URL(PRESETS[type].docs).protocol).toBe('https:');
    }
  });
});

describe('getPreset / isProviderType', () => {
  it('finds known types and nothing else, prototype keys included', () => {
    expect(getPreset('groq')?.name).toBe('Groq');
    expect(getPreset('nope')).toBeUndefined();
    expect(getPreset('__proto__')).toBeUndefined();
    expect(getPreset('toString')).toBeUndefined();
    expect(isProviderType('vllm')).toBe(true);
    expect(isProviderType(42)).toBe(false);
  });
});

describe('modelsUrl', () => {
  it('appends relative paths to the base URL and resolves absolute ones against its origin', () => {
    expect(modelsUrl(PRESETS.openai, PRESETS.openai.base_url)).toBe('https://api.openai.com/v1/models');
    expect(modelsUrl(PRESETS.deepinfra, PRESETS.deepinfra.base_url)).toBe('https://api.deepinfra.com/v1/openai/models');
    expect(modelsUrl(PRESETS.cohere, PRESETS.cohere.base_url)).toBe('https://api.cohere.com/v1/models');
    expect(modelsUrl(PRESETS['github-models'], PRESETS['github-models'].base_url)).toBe('https://models.github.ai/catalog/models');
    expect(modelsUrl(PRESETS.ollama, 'http://10.0.0.5:11434/')).toBe('http://10.0.0.5:11434/api/tags');
    expect(modelsUrl(PRESETS['openai-compatible'], 'http://box:9000/v1/')).toBe('http://box:9000/v1/models');
    expect(modelsUrl(PRESETS.perplexity, PRESETS.perplexity.base_url)).toBeNull();
  });
});

describe('parseModelList', () => {
  it('reads the OpenAI, Ollama, Gemini, Cohere and GitHub shapes', () => {
    expect(parseModelList({ object: 'list', data: [{ id: 'a' }, { id: 'b' }] })).toEqual(['a', 'b']);
    expect(parseModelList({ models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest' }] })).toEqual(['llama3.2:latest']);
    expect(parseModelList({ models: [{ name: 'models/gemini-2.5-pro' }], nextPageToken: 'x' })).toEqual(['gemini-2.5-pro']);
    expect(parseModelList({ models: [{ name: 'command-a-03-2025', endpoints: ['chat'] }] })).toEqual(['command-a-03-2025']);
    expect(parseModelList([{ id: 'openai/gpt-4.1', publisher: 'OpenAI' }])).toEqual(['openai/gpt-4.1']);
  });

  it('skips malformed items and rejects unknown shapes', () => {
    expect(parseModelList({ data: [{ id: 'ok' }, { id: 7 }, null, 'x', { id: '' }] })).toEqual(['ok']);
    expect(parseModelList({ error: 'nope' })).toBeNull();
    expect(parseModelList('data')).toBeNull();
    expect(parseModelList(null)).toBeNull();
  });
});
