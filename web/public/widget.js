/*! kefu 在线客服 widget — <script src="https://HOST/widget.js" data-key="wk_…" [data-token="…"] [data-lang="en"] async></script>
 * Adds a floating 在线客服 button that opens the chat page (/chat on the same host as this script) in a
 * panel; full screen on narrow screens. No dependencies. */
(function () {
  'use strict'
  if (window.__kefuWidget) return
  var script = document.currentScript
  if (!script || !script.getAttribute('data-key')) {
    var all = document.querySelectorAll('script[data-key][src*="widget.js"]')
    script = all.length ? all[all.length - 1] : null
  }
  if (!script) return
  var key = script.getAttribute('data-key')
  if (!key) return
  var token = script.getAttribute('data-token')
  var lang = script.getAttribute('data-lang') === 'en' ? 'en' : ''
  var origin
  try {
    origin = new URL(script.src, location.href).origin
  } catch (e) {
    return
  }
  var label = lang === 'en' ? 'Live chat' : '在线客服'
  var closeLabel = lang === 'en' ? 'Close' : '关闭'
  window.__kefuWidget = true

  var css =
    '.kefu-w-btn{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:6px;' +
    'padding:10px 16px;border:0;border-radius:24px;background:#1677ff;color:#fff;font:600 15px/1.2 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;' +
    'box-shadow:0 6px 20px rgba(22,119,255,.35);cursor:pointer}' +
    '.kefu-w-btn:hover{background:#4096ff}.kefu-w-btn svg{width:20px;height:20px;fill:currentColor}' +
    '.kefu-w-panel{position:fixed;right:20px;bottom:80px;z-index:2147483001;width:380px;height:600px;max-height:calc(100vh - 100px);' +
    'display:none;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.22)}' +
    '.kefu-w-panel.kefu-w-open{display:flex}' +
    '.kefu-w-close{position:absolute;top:6px;right:8px;z-index:1;width:30px;height:30px;border:0;border-radius:50%;' +
    'background:rgba(255,255,255,.18);color:#fff;font:20px/30px sans-serif;cursor:pointer}' +
    '.kefu-w-frame{flex:1;width:100%;height:100%;border:0}' +
    '@media (max-width:600px){.kefu-w-panel{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}' +
    '.kefu-w-btn{right:12px;bottom:12px}}'
  var style = document.createElement('style')
  style.appendChild(document.createTextNode(css))
  document.head.appendChild(style)

  var btn = document.createElement('button')
  btn.type = 'button'
  btn.className = 'kefu-w-btn'
  btn.setAttribute('aria-label', label)
  btn.setAttribute('data-kefu-widget', 'button')
  btn.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.5 21l4.3-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.6 10-8S17.5 3 12 3z"/></svg>'
  btn.appendChild(document.createTextNode(label))

  var panel = document.createElement('div')
  panel.className = 'kefu-w-panel'
  panel.setAttribute('role', 'dialog')
  panel.setAttribute('aria-label', label)
  panel.setAttribute('data-kefu-widget', 'panel')
  var close = document.createElement('button')
  close.type = 'button'
  close.className = 'kefu-w-close'
  close.setAttribute('aria-label', closeLabel)
  close.textContent = '×'
  panel.appendChild(close)

  var frame = null
  function open() {
    if (!frame) {
      // The chat page loads only when first opened; it keeps the conversation across later opens.
      var q = 'key=' + encodeURIComponent(key)
      if (token) q += '&token=' + encodeURIComponent(token)
      if (lang) q += '&lang=' + lang
      frame = document.createElement('iframe')
      frame.className = 'kefu-w-frame'
      frame.title = label
      frame.src = origin + '/chat?' + q
      frame.setAttribute('allow', 'clipboard-write')
      panel.appendChild(frame)
    }
    panel.classList.add('kefu-w-open')
    btn.style.display = window.innerWidth <= 600 ? 'none' : ''
    btn.setAttribute('aria-expanded', 'true')
  }
  function hide() {
    panel.classList.remove('kefu-w-open')
    btn.style.display = ''
    btn.setAttribute('aria-expanded', 'false')
  }
  btn.addEventListener('click', function () {
    if (panel.classList.contains('kefu-w-open')) hide()
    else open()
  })
  close.addEventListener('click', hide)
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && panel.classList.contains('kefu-w-open')) hide()
  })

  function mount() {
    document.body.appendChild(panel)
    document.body.appendChild(btn)
  }
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount)

  window.kefuChat = { open: open, close: hide }
})()
