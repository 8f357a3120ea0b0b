/**
 * Request validation of the mock Gemini API: what the real `v1beta` API rejects, with its messages.
 * Each check returns the error message of a 400 INVALID_ARGUMENT, or null when the body is valid.
 */

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

const REQUEST_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'safetySettings', 'generationConfig', 'cachedContent']);
const PART_DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'];
const PART_FIELDS = new Set([...PART_DATA, 'thought', 'thoughtSignature', 'videoMetadata']);
const GENERATION_FIELDS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens',
  'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'enableEnhancedCivicAnswers',
  'speechConfig', 'thinkingConfig', 'imageConfig', 'mediaResolution',
]);
const DECLARATION_FIELDS = new Set(['name', 'description', 'behavior', 'parameters', 'parametersJsonSchema', 'response', 'responseJsonSchema']);
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const unknownField = (where: string, k: string) => `Invalid JSON payload received. Unknown name "${k}" at '${where}': Cannot find field.`;

export function validateGenerateRequest(body: unknown, model: string): string | null {
  if (!isObj(body)) return 'Invalid JSON payload received. Expected an object.';
  for (const k of Object.keys(body)) if (!REQUEST_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`;
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (let i = 0; i < contents.length; i++) {
    const err = validateContent(contents[i], `contents[${i}]`);
    if (err) return err;
  }
  if (body.systemInstruction !== undefined) {
    const si = body.systemInstruction;
    if (!isObj(si) || !Array.isArray(si.parts) || si.parts.length === 0 || si.parts.some((p: any) => !isObj(p) || typeof p.text !== 'string')) {
      return '* GenerateContentRequest.system_instruction: system instruction must have text parts';
    }
  }
  const names = new Set<string>();
  const toolErr = validateTools(body.tools, names);
  if (toolErr) return toolErr;
  const turnErr = validateTurns(contents, model);
  if (turnErr) return turnErr;
  const tcErr = validateToolConfig(body.toolConfig, names);
  if (tcErr) return tcErr;
  return validateGenerationConfig(body.generationConfig, model);
}

function validateContent(c: unknown, where: string): string | null {
  if (!isObj(c)) return `* GenerateContentRequest.${where}: must be an object`;
  for (const k of Object.keys(c)) if (k !== 'role' && k !== 'parts') return unknownField(where, k);
  if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') return `Please use a valid role: user, model.`;
  if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.${where}.parts: contents.parts must not be empty.`;
  for (let j = 0; j < c.parts.length; j++) {
    const p = c.parts[j];
    const pw = `${where}.parts[${j}]`;
    if (!isObj(p)) return `* GenerateContentRequest.${pw}: must be an object`;
    for (const k of Object.keys(p)) if (!PART_FIELDS.has(k)) return unknownField(pw, k);
    const data = PART_DATA.filter((k) => p[k] !== undefined);
    if (data.length !== 1) return `* GenerateContentRequest.${pw}.data: required oneof field 'data' must have one initialized field`;
    if (p.text !== undefined && typeof p.text !== 'string') return `* GenerateContentRequest.${pw}.text: must be a string`;
    if (p.inlineData !== undefined && (!isObj(p.inlineData) || typeof p.inlineData.mimeType !== 'string' || typeof p.inlineData.data !== 'string' || !BASE64.test(p.inlineData.data))) {
      return `* GenerateContentRequest.${pw}.inline_data: mimeType and base64 data are required`;
    }
    if (p.fileData !== undefined) {
      const fd = p.fileData;
      if (!isObj(fd) || typeof fd.fileUri !== 'string') return `* GenerateContentRequest.${pw}.file_data.file_uri: file_uri is required`;
      if (typeof fd.mimeType !== 'string' && !/generativelanguage\.googleapis\.com\/.*\/files\//.test(fd.fileUri)) {
        return `* GenerateContentRequest.${pw}.file_data.mime_type: mime_type is required for this URI`;
      }
    }
    if (p.functionCall !== undefined && (c.role !== 'model' || !isObj(p.functionCall) || typeof p.functionCall.name !== 'string' || (p.functionCall.args !== undefined && !isObj(p.functionCall.args)))) {
      return `* GenerateContentRequest.${pw}.function_call: a function call needs a name and object args, in a model turn`;
    }
    if (p.functionResponse !== undefined && (c.role === 'model' || !isObj(p.functionResponse) || typeof p.functionResponse.name !== 'string' || !isObj(p.functionResponse.response))) {
      return `* GenerateContentRequest.${pw}.function_response: a function response needs a name and an object response, in a user turn`;
    }
    if (p.thoughtSignature !== undefined && (typeof p.thoughtSignature !== 'string' || !BASE64.test(p.thoughtSignature))) {
      return `Invalid value at '${pw}.thought_signature' (TYPE_BYTES), Base64 decoding failed`;
    }
  }
  return null;
}

const calls = (c: any): any[] => c.parts.filter((p: any) => p.functionCall).map((p: any) => p.functionCall);
const responses = (c: any): any[] => c.parts.filter((p: any) => p.functionResponse).map((p: any) => p.functionResponse);

/** The documented turn rules of function calling, and Gemini 3's thought-signature rule. */
function validateTurns(contents: any[], model: string): string | null {
  for (let i = 0; i < contents.length; i++) {
    const c = contents[i];
    const prev = contents[i - 1];
    if (calls(c).length > 0 && (!prev || (prev.role ?? 'user') !== 'user')) {
      return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
    }
    const rs = responses(c);
    if (rs.length === 0) continue;
    if (!prev || prev.role !== 'model' || calls(prev).length === 0) {
      return 'Please ensure that function response turn comes immediately after a function call turn.';
    }
    const callNames = calls(prev).map((f) => f.name).sort();
    if (callNames.length !== rs.length) {
      return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
    }
    if (JSON.stringify(callNames) !== JSON.stringify(rs.map((r) => r.name).sort())) {
      return 'Please ensure that function response names match the function call names of the function call turn.';
    }
  }
  if (/gemini-[3-9]/.test(model)) {
    // The current turn starts after the last user content that is not only function responses.
    let start = 0;
    contents.forEach((c, i) => { if ((c.role ?? 'user') === 'user' && responses(c).length < c.parts.length) start = i + 1; });
    for (let i = start; i < contents.length; i++) {
      const c = contents[i];
      const first = c.parts.findIndex((p: any) => p.functionCall);
      if (c.role === 'model' && first !== -1 && !c.parts[first].thoughtSignature) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${c.parts[first].functionCall.name}\` , position ${first + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
      }
    }
  }
  return null;
}

function validateTools(tools: unknown, names: Set<string>): string | null {
  if (tools === undefined) return null;
  if (!Array.isArray(tools)) return '* GenerateContentRequest.tools: must be a list';
  for (const [i, t] of tools.entries()) {
    if (!isObj(t)) return `* GenerateContentRequest.tools[${i}]: must be an object`;
    for (const k of Object.keys(t)) if (!['functionDeclarations', 'googleSearch', 'codeExecution', 'urlContext'].includes(k)) return unknownField(`tools[${i}]`, k);
    for (const [j, d] of (t.functionDeclarations ?? []).entries()) {
      const where = `tools[${i}].function_declarations[${j}]`;
      if (!isObj(d)) return `* GenerateContentRequest.${where}: must be an object`;
      for (const k of Object.keys(d)) if (!DECLARATION_FIELDS.has(k)) return unknownField(where, k);
      if (typeof d.name !== 'string' || !FUNCTION_NAME.test(d.name)) return `* GenerateContentRequest.${where}.name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 64.`;
      if (d.parameters !== undefined && d.parametersJsonSchema !== undefined) return `* GenerateContentRequest.${where}: parameters and parameters_json_schema are mutually exclusive`;
      if (d.parametersJsonSchema !== undefined && !isObj(d.parametersJsonSchema)) return `* GenerateContentRequest.${where}.parameters_json_schema: must be an object`;
      names.add(d.name);
    }
  }
  return null;
}

function validateToolConfig(tc: unknown, names: Set<string>): string | null {
  if (tc === undefined) return null;
  if (!isObj(tc)) return '* GenerateContentRequest.tool_config: must be an object';
  for (const k of Object.keys(tc)) if (k !== 'functionCallingConfig' && k !== 'retrievalConfig') return unknownField('tool_config', k);
  const fc = tc.functionCallingConfig;
  if (fc === undefined) return null;
  if (!['AUTO', 'ANY', 'NONE', 'VALIDATED', undefined].includes(fc.mode)) return `Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${fc.mode}"`;
  if (fc.allowedFunctionNames !== undefined) {
    if (fc.mode !== 'ANY' && fc.mode !== 'VALIDATED') return '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY or VALIDATED';
    for (const n of fc.allowedFunctionNames) if (!names.has(n)) return `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function "${n}" is not declared`;
  }
  return null;
}

function validateGenerationConfig(gc: unknown, model: string): string | null {
  if (gc === undefined) return null;
  if (!isObj(gc)) return '* GenerateContentRequest.generation_config: must be an object';
  for (const k of Object.keys(gc)) if (!GENERATION_FIELDS.has(k)) return unknownField('generation_config', k);
  if (gc.responseSchema !== undefined && gc.responseJsonSchema !== undefined) return '* GenerateContentRequest.generation_config.response_json_schema: response_schema must be omitted when response_json_schema is set';
  if ((gc.responseSchema !== undefined || gc.responseJsonSchema !== undefined) && gc.responseMimeType !== 'application/json') {
    return '* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be application/json when a response schema is set';
  }
  if (gc.stopSequences !== undefined && (!Array.isArray(gc.stopSequences) || gc.stopSequences.length > 5)) return '* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences';
  if (gc.temperature !== undefined && !(gc.temperature >= 0 && gc.temperature <= 2)) return '* GenerateContentRequest.generation_config.temperature: must be in [0.0, 2.0]';
  if (gc.candidateCount !== undefined && !(Number.isInteger(gc.candidateCount) && gc.candidateCount >= 1 && gc.candidateCount <= 8)) return '* GenerateContentRequest.generation_config.candidate_count: must be in [1, 8]';
  if (gc.maxOutputTokens !== undefined && !(Number.isInteger(gc.maxOutputTokens) && gc.maxOutputTokens > 0)) return '* GenerateContentRequest.generation_config.max_output_tokens: must be positive';
  const th = gc.thinkingConfig;
  if (th !== undefined) {
    if (!isObj(th)) return '* GenerateContentRequest.generation_config.thinking_config: must be an object';
    for (const k of Object.keys(th)) if (!['includeThoughts', 'thinkingBudget', 'thinkingLevel'].includes(k)) return unknownField('generation_config.thinking_config', k);
    if (/gemini-1|gemini-2\.0/.test(model)) return 'Thinking is not supported for this model.';
    if (th.thinkingBudget !== undefined && th.thinkingLevel !== undefined) return 'You can only set only one of thinking budget and thinking level.';
    if (th.thinkingLevel !== undefined && (!/gemini-[3-9]/.test(model) || !/^(minimal|low|medium|high)$/i.test(th.thinkingLevel))) return 'Thinking level is not supported for this model.';
  }
  return null;
}

/** `embedContent` and `batchEmbedContents` bodies. */
export function validateEmbedRequest(body: unknown, model: string, batch: boolean): string | null {
  const one = (r: any, where: string, needModel: boolean): string | null => {
    if (!isObj(r)) return `* ${where}: must be an object`;
    for (const k of Object.keys(r)) if (!['content', 'taskType', 'title', 'outputDimensionality', ...(needModel ? ['model'] : [])].includes(k)) return unknownField(where, k);
    if (needModel && r.model !== `models/${model}`) return `* BatchEmbedContentsRequest.${where}.model: Model names should match the model in the URL (models/${model}).`;
    if (!isObj(r.content) || !Array.isArray(r.content.parts) || r.content.parts.length === 0 || r.content.parts.some((p: any) => typeof p?.text !== 'string')) {
      return `* ${where}.content: content with text parts is required`;
    }
    return null;
  };
  if (!batch) return one(body, 'EmbedContentRequest', false);
  if (!isObj(body) || !Array.isArray(body.requests) || body.requests.length === 0) return '* BatchEmbedContentsRequest.requests: requests is required';
  for (const k of Object.keys(body)) if (k !== 'requests') return unknownField('BatchEmbedContentsRequest', k);
  for (let i = 0; i < body.requests.length; i++) {
    const err = one(body.requests[i], `requests[${i}]`, true);
    if (err) return err;
  }
  return null;
}
