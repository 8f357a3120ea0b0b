/** The wire protocol a provider speaks; each has one adapter. */
export type Protocol = 'openai' | 'anthropic' | 'gemini' | 'ollama' | 'cohere';

/** How the API key travels: `Authorization: Bearer`, `x-api-key`, `x-goog-api-key`, or not at all. */
export type AuthStyle = 'bearer' | 'x-api-key' | 'x-goog-api-key' | 'none';

/** One row of the preset table. Field names are snake_case like the config file they feed. */
export interface ProviderPreset {
  readonly type: string;
  readonly name: string;
  readonly protocol: Protocol;
  /** Default base URL; `null` only for `openai-compatible`, where the user must give one. */
  readonly base_url: string | null;
  readonly auth: AuthStyle;
  /** True when requests fail without a key (local servers run keyless unless the user set one). */
  readonly needs_key: boolean;
  /** Runs on the user's machine: free, probed by `providers detect`. */
  readonly local: boolean;
  /** Conventional environment variable for the key (`api_key_env` default); `null` when there is none. */
  readonly key_env: string | null;
  /**
   * Where the model list lives. A relative path (`models`) is appended to `base_url`; a path starting
   * with `/` replaces the base URL's path (Cohere and GitHub list models outside their inference
   * prefix). `null`: the provider has no list endpoint.
   */
  readonly models_path: string | null;
  /** Headers every request to this provider carries (never secrets). */
  readonly default_headers: Readonly<Record<string, string>>;
  /** `owned_by` value its OpenAI-style model list uses, when that tells servers on a shared port apart. */
  readonly detect_owned_by: string | null;
  /** The public API reference the row was checked against. */
  readonly docs: string;
  readonly notes: string;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Every provider type LocalRouter knows, as data. OpenAI-speaking providers differ only in these
 * rows; the four native protocols have their own adapters. Local base URLs use 127.0.0.1, not
 * `localhost`: Node may resolve `localhost` to ::1 first, and Ollama and GPT4All listen on IPv4 only.
 */
export const PRESETS = {
  openai: {
    type: 'openai', name: 'OpenAI', protocol: 'openai', base_url: 'https://api.openai.com/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'OPENAI_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://platform.openai.com/docs/api-reference',
    notes: 'Reference dialect; streamed usage needs stream_options.include_usage.',
  },
  anthropic: {
    type: 'anthropic', name: 'Anthropic', protocol: 'anthropic', base_url: 'https://api.anthropic.com/v1', auth: 'x-api-key',
    needs_key: true, local: false, key_env: 'ANTHROPIC_API_KEY', models_path: 'models',
    default_headers: Object.freeze({ 'anthropic-version': '2023-06-01' }), detect_owned_by: null,
    docs: 'https://docs.anthropic.com/en/api/messages',
    notes: 'Messages API; max_tokens is required upstream; usage input_tokens excludes cache reads and writes.',
  },
  gemini: {
    type: 'gemini', name: 'Google Gemini', protocol: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta',
    auth: 'x-goog-api-key', needs_key: true, local: false, key_env: 'GEMINI_API_KEY', models_path: 'models',
    default_headers: NO_HEADERS, detect_owned_by: null, docs: 'https://ai.google.dev/api',
    notes: 'generateContent / streamGenerateContent?alt=sse; model names come back as "models/<id>".',
  },
  ollama: {
    type: 'ollama', name: 'Ollama', protocol: 'ollama', base_url: 'http://127.0.0.1:11434', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: '/api/tags', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.ollama.com/api',
    notes: 'Native /api/chat (NDJSON stream), /api/embed; also serves an OpenAI-style API under /v1.',
  },
  lmstudio: {
    type: 'lmstudio', name: 'LM Studio', protocol: 'openai', base_url: 'http://127.0.0.1:1234/v1', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://lmstudio.ai/docs/app/api',
    notes: 'Start the server from the Developer tab or `lms server start`.',
  },
  cohere: {
    type: 'cohere', name: 'Cohere', protocol: 'cohere', base_url: 'https://api.cohere.com/v2', auth: 'bearer',
    needs_key: true, local: false, key_env: 'COHERE_API_KEY', models_path: '/v1/models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.cohere.com/reference/list-models',
    notes: 'v2 /chat and /embed; the model list is only on v1 (GET /v1/models). Cohere SDKs read CO_API_KEY.',
  },
  mistral: {
    type: 'mistral', name: 'Mistral AI', protocol: 'openai', base_url: 'https://api.mistral.ai/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'MISTRAL_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.mistral.ai/api/',
    notes: 'OpenAI-style chat; `-latest` aliases point at dated versions.',
  },
  groq: {
    type: 'groq', name: 'Groq', protocol: 'openai', base_url: 'https://api.groq.com/openai/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'GROQ_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://console.groq.com/docs/openai',
    notes: 'Rejects logprobs, logit_bias, top_logprobs, messages[].name and n > 1 with 400.',
  },
  cerebras: {
    type: 'cerebras', name: 'Cerebras', protocol: 'openai', base_url: 'https://api.cerebras.ai/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'CEREBRAS_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://inference-docs.cerebras.ai/resources/openai',
    notes: 'OpenAI-compatible for common workflows; some parameters are unsupported.',
  },
  xai: {
    type: 'xai', name: 'xAI', protocol: 'openai', base_url: 'https://api.x.ai/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'XAI_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.x.ai/api/integrations',
    notes: 'Grok models; reasoning models report reasoning_tokens.',
  },
  deepinfra: {
    type: 'deepinfra', name: 'DeepInfra', protocol: 'openai', base_url: 'https://api.deepinfra.com/v1/openai', auth: 'bearer',
    needs_key: true, local: false, key_env: 'DEEPINFRA_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://deepinfra.com/docs/advanced/openai_api',
    notes: 'The OpenAI API lives under /v1/openai, not /v1; model ids are Hugging Face paths.',
  },
  together: {
    type: 'together', name: 'Together AI', protocol: 'openai', base_url: 'https://api.together.ai/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'TOGETHER_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.together.ai/docs/inference/openai-compatibility',
    notes: 'api.together.xyz is the older host of the same API; model ids are "<org>/<model>".',
  },
  perplexity: {
    type: 'perplexity', name: 'Perplexity', protocol: 'openai', base_url: 'https://api.perplexity.ai', auth: 'bearer',
    needs_key: true, local: false, key_env: 'PERPLEXITY_API_KEY', models_path: null, default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.perplexity.ai/api-reference/chat-completions-post',
    notes: 'No /v1 prefix and no model list endpoint: models come from the config or the bundled catalog.',
  },
  openrouter: {
    type: 'openrouter', name: 'OpenRouter', protocol: 'openai', base_url: 'https://openrouter.ai/api/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'OPENROUTER_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://openrouter.ai/docs/api-reference/overview',
    notes: 'Model ids are "<vendor>/<model>"; optional HTTP-Referer and X-Title headers attribute the app.',
  },
  llamacpp: {
    type: 'llamacpp', name: 'llama.cpp server', protocol: 'openai', base_url: 'http://127.0.0.1:8080/v1', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: 'llamacpp', docs: 'https://github.com/ggml-org/llama.cpp/tree/master/tools/server',
    notes: 'llama-server; a key is needed only when started with --api-key. Shares port 8080 with LocalAI.',
  },
  localai: {
    type: 'localai', name: 'LocalAI', protocol: 'openai', base_url: 'http://127.0.0.1:8080/v1', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://localai.io/docs/basics/try/',
    notes: 'A key is needed only when started with API_KEY. Shares port 8080 with llama.cpp.',
  },
  jan: {
    type: 'jan', name: 'Jan', protocol: 'openai', base_url: 'http://127.0.0.1:1337/v1', auth: 'bearer',
    needs_key: true, local: true, key_env: 'JAN_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://jan.ai/docs/local-api',
    notes: 'Jan requires the API key the user typed in Settings > Local API Server; JAN_API_KEY is our own convention.',
  },
  gpt4all: {
    type: 'gpt4all', name: 'GPT4All', protocol: 'openai', base_url: 'http://127.0.0.1:4891/v1', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.gpt4all.io/gpt4all_api_server/home.html',
    notes: 'Enable "Local API Server" in the desktop app; listens on IPv4 127.0.0.1 only.',
  },
  vllm: {
    type: 'vllm', name: 'vLLM', protocol: 'openai', base_url: 'http://127.0.0.1:8000/v1', auth: 'none',
    needs_key: false, local: true, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: 'vllm', docs: 'https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html',
    notes: '`vllm serve`; a key is needed only with --api-key (or VLLM_API_KEY set on the server).',
  },
  'github-models': {
    type: 'github-models', name: 'GitHub Models', protocol: 'openai', base_url: 'https://models.github.ai/inference',
    auth: 'bearer', needs_key: true, local: false, key_env: 'GITHUB_TOKEN', models_path: '/catalog/models',
    default_headers: NO_HEADERS, detect_owned_by: null, docs: 'https://docs.github.com/en/github-models/quickstart',
    notes: 'A GitHub token with the models scope; model ids are "<publisher>/<model>"; the list is GET /catalog/models.',
  },
  'nvidia-nim': {
    type: 'nvidia-nim', name: 'NVIDIA NIM', protocol: 'openai', base_url: 'https://integrate.api.nvidia.com/v1', auth: 'bearer',
    needs_key: true, local: false, key_env: 'NVIDIA_API_KEY', models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://docs.api.nvidia.com/nim/reference/llm-apis',
    notes: 'Hosted NIM endpoints (build.nvidia.com); a self-hosted NIM is an openai-compatible provider.',
  },
  'openai-compatible': {
    type: 'openai-compatible', name: 'OpenAI-compatible (custom)', protocol: 'openai', base_url: null, auth: 'bearer',
    needs_key: false, local: false, key_env: null, models_path: 'models', default_headers: NO_HEADERS,
    detect_owned_by: null, docs: 'https://platform.openai.com/docs/api-reference',
    notes: 'Any OpenAI-style server: give base_url, optional key and extra headers.',
  },
} as const satisfies Record<string, ProviderPreset>;

/** A provider type: a key of the preset table. */
export type ProviderType = keyof typeof PRESETS;

/** The provider types that run on the user's machine. */
export type LocalProviderType = {
  [K in ProviderType]: (typeof PRESETS)[K]['local'] extends true ? K : never;
}[ProviderType];

/** Every provider type, in table order (a non-empty tuple, so `z.enum(PROVIDER_TYPES)` accepts it). */
export const PROVIDER_TYPES = Object.freeze(Object.keys(PRESETS)) as readonly [ProviderType, ...ProviderType[]];

/** The local provider types, in table order. */
export const LOCAL_PROVIDER_TYPES = Object.freeze(
  PROVIDER_TYPES.filter((t) => PRESETS[t].local),
) as readonly LocalProviderType[];

/** True when `value` names a preset. */
export function isProviderType(value: unknown): value is ProviderType {
  return typeof value === 'string' && Object.hasOwn(PRESETS, value);
}

/** The preset of `type`, or `undefined` for an unknown type. */
export function getPreset(type: string): ProviderPreset | undefined {
  return isProviderType(type) ? PRESETS[type] : undefined;
}

/**
 * The model-list URL for a provider whose base URL is `baseUrl` (the preset's or the user's), or
 * `null` when the preset has no list endpoint.
 */
export function modelsUrl(preset: ProviderPreset, baseUrl: string): string | null {
  if (preset.models_path === null) return null;
  if (preset.models_path.startsWith('/')) return new URL(preset.models_path, baseUrl).href;
  return `${baseUrl.replace(/\/+$/, '')}/${preset.models_path}`;
}
