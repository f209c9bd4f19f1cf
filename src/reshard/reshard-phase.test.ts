import { describe, expect, it } from 'vitest';
import { mostAdvanced, phaseAfter, stepsFrom } from './reshard-phase.js';

describe('reshard phases', () => {
  it('a fresh job runs every step; each recorded phase resumes with what is left', () => {
    expect(stepsFrom(null)).toEqual(['prepare', 'copy', 'catch-up', 'cutover', 'cleanup']);
    expect(stepsFrom('prepared')).toEqual(['prepare', 'copy', 'catch-up', 'cutover', 'cleanup']);
    expect(stepsFrom('copied')).toEqual(['catch-up', 'cutover', 'cleanup']);
    expect(stepsFrom('paused')).toEqual(['cutover', 'cleanup']);
    expect(stepsFrom('switched')).toEqual(['cleanup']);
    expect(stepsFrom('done')).toEqual([]);
  });

  it('the most advanced phase recorded on any database wins (a crash while recording leaves a mix)', () => {
    expect(mostAdvanced([])).toBeNull();
    expect(mostAdvanced(['prepared', 'copied', 'prepared'])).toBe('copied');
    expect(mostAdvanced(['paused', 'switched', 'paused'])).toBe('switched');
    expect(() => mostAdvanced(['copied', 'teleported'])).toThrow(/unknown reshard phase "teleported"/);
  });

  it('an aborted cutover goes back to copied; every step leads to the phase that resumes after it', () => {
    expect(phaseAfter('cutover', 'aborted')).toBe('copied');
    expect(phaseAfter('cutover')).toBe('switched');
    for (const step of ['prepare', 'copy', 'catch-up', 'cutover', 'cleanup'] as const) {
      const remaining = stepsFrom(phaseAfter(step));
      expect(remaining).not.toContain(step === 'prepare' ? 'copy-never' : step === 'catch-up' ? 'copy' : step);
    }
    expect(stepsFrom(phaseAfter('cutover', 'aborted'))).toContain('cutover');
  });
});
