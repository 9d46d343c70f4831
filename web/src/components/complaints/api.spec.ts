import { describe, expect, it } from 'vitest'
import zhCN from '@/i18n/locales/zh-CN'
import en from '@/i18n/locales/en'
import { NEXT, SEVERITIES, SOURCES, STAGES, STEPS, dueKind, percent, stepIndex } from './api'

describe('complaint workflow in the UI', () => {
  it('offers exactly one next command per open stage and none when closed', () => {
    for (const s of STAGES) {
      if (s === 'closed') expect(NEXT[s]).toBeNull()
      else expect(STEPS).toContain(NEXT[s])
    }
  })

  it('puts the stepper on the step each stage waits for', () => {
    expect(stepIndex('received')).toBe(0)
    expect(stepIndex('claim_recorded')).toBe(STEPS.indexOf('investigation'))
    // A disagreement goes back to proposing a remedy.
    expect(stepIndex('disagreed')).toBe(STEPS.indexOf('remedy'))
    expect(stepIndex('proposed')).toBe(STEPS.indexOf('customer-response'))
    expect(stepIndex('visited')).toBe(STEPS.length - 1)
    expect(stepIndex('closed')).toBe(STEPS.length)
  })

  it('names the deadline running in each stage: acknowledgement, 24-hour handling until a remedy, then mediation', () => {
    expect(dueKind('received')).toBe('ackDue')
    for (const s of ['acknowledged', 'claim_recorded', 'investigating', 'investigated'] as const) expect(dueKind(s)).toBe('handleDue')
    for (const s of ['proposed', 'disagreed', 'agreed', 'executed', 'visited'] as const) expect(dueKind(s)).toBe('mediateDue')
    for (const m of [zhCN.complaints, en.complaints]) for (const k of ['ackDue', 'handleDue', 'mediateDue'] as const) expect(m[k]).toContain('{time}')
  })

  it('shows shares as whole percentages and nothing measured as a dash', () => {
    expect(percent(null)).toBe('—')
    expect(percent(0)).toBe('0%')
    expect(percent(0.667)).toBe('67%')
    expect(percent(1)).toBe('100%')
  })

  it('walks forward: each stage (a disagreement aside) points at a later step than the one before', () => {
    const order = STAGES.filter((s) => s !== 'disagreed').map(stepIndex)
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThan(order[i - 1])
  })

  it('names every stage, step, severity and source in both languages', () => {
    for (const m of [zhCN.complaints, en.complaints]) {
      for (const s of STAGES) expect(m.stage[s]).toBeTruthy()
      for (const s of STEPS) expect((m.step as Record<string, string>)[s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())]).toBeTruthy()
      for (const s of SEVERITIES) expect(m.severity[s]).toBeTruthy()
      for (const s of SOURCES) expect(m.source[s]).toBeTruthy()
    }
  })
})
