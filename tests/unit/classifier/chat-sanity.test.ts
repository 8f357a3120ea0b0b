import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH, LinearRouter, cardPathFor, chatAuc, chatReport, isChatTrainingPrompt, loadChatData, readModelCard, type ChatPrompt,
} from '../../../src/classifier/index.js';

// The chat development set: Arena-Hard-Auto prompts (real Chatbot Arena traffic), shipped with the
// routing data. Unlabeled: the strong model's gain is large on coding and maths requests and close
// to nothing on creative writing, so a router fit for chat must rank the first above the second.
const DATA_DIR = process.env.LOCALROUTER_ROUTING_DATA ?? path.resolve(import.meta.dirname, '../../../../shared/data/routing');

describe('the shipped router on chat prompts (arena-hard)', () => {
  const router = LinearRouter.load(DEFAULT_MODEL_PATH);
  const card = readModelCard(cardPathFor(DEFAULT_MODEL_PATH));
  const prompts = loadChatData(DATA_DIR).prompts;
  const scores = new Map(prompts.map((p) => [p.uid, router.score(p.prompt)] as const));
  const of = (ps: ChatPrompt[]): number[] => ps.map((p) => scores.get(p.uid)!);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const inPart = (part: string, category: string): ChatPrompt[] => prompts.filter((p) => p.part === part && p.category === category);

  it('ranks coding and maths above creative writing on average, on the part it was neither trained nor tuned on', () => {
    const creative = mean(of(inPart('check', 'creative_writing')));
    expect(inPart('check', 'creative_writing').length).toBeGreaterThan(50);
    expect(mean(of(inPart('check', 'coding')))).toBeGreaterThan(creative);
    expect(mean(of(inPart('check', 'math')))).toBeGreaterThan(creative);
    const check = prompts.filter((p) => p.part === 'check' && p.category !== 'mixed');
    expect(chatAuc(check.map((p) => p.category), of(check))).toBeGreaterThan(0.65);
  });

  it('ranks them so on the whole categorised set too', () => {
    const all = (category: string) => of(prompts.filter((p) => p.category === category));
    expect(mean(all('coding'))).toBeGreaterThan(mean(all('creative_writing')));
    expect(mean(all('math'))).toBeGreaterThan(mean(all('creative_writing')));
  });

  it('the model card reports exactly these chat figures', () => {
    for (const reported of card.chat.filter((c) => c.part === 'dev' || c.part === 'check')) {
      const ps = prompts.filter((p) => p.part === reported.part && p.category !== 'mixed');
      expect(chatReport(reported.part, ps, of(ps))).toEqual(reported);
    }
  });

  it('the chat-mix threshold for a strong share sends about that share of chat prompts to the strong side', () => {
    const notTrainedOn = prompts.filter((p) => !isChatTrainingPrompt(p));
    const s = of(notTrainedOn);
    for (const row of card.calibration.table) {
      const share = s.filter((x) => x >= row.chatThreshold).length / s.length;
      expect(Math.abs(share - row.strongShare)).toBeLessThan(0.02);
    }
  });
});
