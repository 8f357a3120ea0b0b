import { describe, expect, it } from 'vitest';
import {
  chooseSide, lastUserText, needsClassifier, orderBySide, routeByClassifier, type AutoClient, type ClientPolicy, type PromptScorers,
} from '../../../src/routing/index.js';

function client(auto: Partial<ClientPolicy['auto']> = {}): AutoClient {
  return { policy: { strategy: 's', auto: { models: [], strong_models: ['p/strong'], weak_models: ['p/weak'], classifier: 'hashlr', ...auto } } };
}

/** Scorers that answer `score` (or fail when it is an Error) and record what they were asked. */
function scorers(score: number | Error, shareThreshold = 0.7): PromptScorers & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (name) => {
      asked.push(name);
      return { score: async (prompt) => {
        asked.push(prompt);
        if (score instanceof Error) throw score;
        return score;
      } };
    },
    thresholdForShare: async (name, share) => {
      asked.push(`${name}@${share}`);
      return shareThreshold;
    },
  };
}

const chat = (model: string, text = 'hi') => ({ model, body: { messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: text }] } });

describe('needsClassifier', () => {
  it('for `auto` with a classifier and both lists, and for router-<name>-<threshold> ids', () => {
    expect(needsClassifier({ model: 'auto' }, client())).toBe(true);
    expect(needsClassifier({ model: 'localrouter/auto' }, client({ classifier: undefined }))).toBe(false);
    expect(needsClassifier({ model: 'auto' }, client({ weak_models: [] }))).toBe(false);
    expect(needsClassifier({ model: 'router-hashlr-0.42' }, client({ classifier: undefined }))).toBe(true);
    expect(needsClassifier({ model: 'router-hashlr-1.5' }, client())).toBe(false);
    expect(needsClassifier({ model: 'p/strong' }, client())).toBe(false);
  });
});

describe('routeByClassifier', () => {
  it('sends a prompt scoring at or above the threshold to the strong side, the weak side after it', async () => {
    const s = scorers(0.5);
    const r = await routeByClassifier(chat('auto', 'prove it'), client({ threshold: 0.5 }), s);
    expect(r).toEqual({ ids: ['p/strong', 'p/weak'], decision: { classifier: 'hashlr', side: 'strong', score: 0.5, threshold: 0.5 } });
    expect(s.asked).toEqual(['hashlr', 'prove it']);
  });

  it('takes the classifier and threshold from a router-<name>-<t> id', async () => {
    const r = await routeByClassifier(chat('router-mf-0.8'), client({ threshold: 0.1 }), scorers(0.6));
    expect(r.decision).toEqual({ classifier: 'mf', side: 'weak', score: 0.6, threshold: 0.8 });
    expect(r.ids).toEqual(['p/weak', 'p/strong']);
  });

  it('calibrates the threshold from strong_share, else uses 0.5', async () => {
    const s = scorers(0.6, 0.65);
    expect((await routeByClassifier(chat('auto'), client({ strong_share: 0.3 }), s)).decision).toMatchObject({ side: 'weak', threshold: 0.65 });
    expect(s.asked[0]).toBe('hashlr@0.3');
    expect((await routeByClassifier(chat('auto'), client(), scorers(0.6))).decision).toMatchObject({ side: 'strong', threshold: 0.5 });
  });

  it('serves a request whose classifier fails from the strong side, with no score', async () => {
    const r = await routeByClassifier(chat('auto'), client({ threshold: 0.9 }), scorers(new Error('timeout')));
    expect(r.decision).toEqual({ classifier: 'hashlr', side: 'strong', score: null, threshold: 0.9 });
  });

  it('404 for a router id on a strategy without both lists', async () => {
    await expect(routeByClassifier(chat('router-mf-0.5'), client({ strong_models: [] }), scorers(0.5)))
      .rejects.toMatchObject({ code: 'LR_ERR_MODEL_NOT_FOUND', param: 'model' });
  });
});

describe('side choice and order', () => {
  it('chooseSide: strong iff the score reaches the threshold or there is none', () => {
    expect(chooseSide(0.49, 0.5)).toBe('weak');
    expect(chooseSide(0.5, 0.5)).toBe('strong');
    expect(chooseSide(null, 1)).toBe('strong');
  });

  it('scores the last user text the message facts give for a skimmed body, never reading its messages', async () => {
    const s = scorers(0.9);
    const body = { get messages(): unknown { throw new Error('messages read') } };
    const r = await routeByClassifier({ model: 'auto', body, messageFacts: { lastUserText: () => 'from the facts', hasImages: () => false } }, client({ threshold: 0.5 }), s);
    expect(s.asked).toEqual(['hashlr', 'from the facts']);
    expect(r.decision.side).toBe('strong');
  });

  it('orderBySide: the chosen side first, then the rest of the other side', () => {
    const auto = { strong_models: ['a', 'b'], weak_models: ['c', 'a'] };
    expect(orderBySide(auto, 'strong')).toEqual(['a', 'b', 'c']);
    expect(orderBySide(auto, 'weak')).toEqual(['c', 'a', 'b']);
  });

  it('lastUserText: the last user message, string or text parts', () => {
    expect(lastUserText([{ role: 'user', content: 'one' }, { role: 'assistant', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }] }])).toBe('a\nb');
    expect(lastUserText([{ role: 'system', content: 's' }])).toBe('');
    expect(lastUserText('nope')).toBe('');
  });
});
