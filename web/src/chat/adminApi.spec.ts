import { describe, expect, it } from 'vitest'
import { embedSnippet } from './adminApi'

describe('embed snippet', () => {
  it('names the widget script on this host with the widget key', () => {
    expect(embedSnippet('https://kefu.example.com', 'wk_abc')).toBe(
      '<script src="https://kefu.example.com/widget.js" data-key="wk_abc" async></script>',
    )
  })
})
