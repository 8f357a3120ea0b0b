/**
 * Allow/deny rules over `provider/model` ids. The most specific matching pattern decides: an exact id
 * beats any wildcard, and among wildcards the one with more literal characters wins (`ollama/llama*`
 * beats `ollama/*`, which beats `*`). Deny wins a tie. No matching pattern means not allowed.
 */
export function compileAccessRules(allow: readonly string[], deny: readonly string[]): (modelId: string) => boolean {
  const rules = [
    ...allow.map((p) => rule(p, true)),
    ...deny.map((p) => rule(p, false)),
  ];
  if (rules.length === 1 && rules[0]!.pattern === '*' && rules[0]!.allow) return () => true;
  return (modelId) => {
    let best = -1;
    let allowed = false;
    for (const r of rules) {
      if (r.specificity < best || !r.test(modelId)) continue;
      if (r.specificity > best) {
        best = r.specificity;
        allowed = r.allow;
      } else if (!r.allow) {
        allowed = false;
      }
    }
    return allowed;
  };
}

interface Rule {
  pattern: string;
  allow: boolean;
  specificity: number;
  test(id: string): boolean;
}

function rule(pattern: string, allow: boolean): Rule {
  if (!pattern.includes('*')) return { pattern, allow, specificity: Number.MAX_SAFE_INTEGER, test: (id) => id === pattern };
  const re = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return { pattern, allow, specificity: pattern.replaceAll('*', '').length, test: (id) => re.test(id) };
}

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
