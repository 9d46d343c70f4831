// The customer chat page's words: Simplified Chinese by default, English with `lang=en`. A small table of
// its own keeps the page light (no vue-i18n, no Element Plus).
const zh = {
  title: '在线客服',
  connecting: '正在连接…',
  reconnecting: '网络不稳定，正在重新连接…',
  reconnect: '重新连接',
  offline: '连接已断开',
  unavailable: '在线客服暂不可用',
  notFound: '该客服入口不存在或已停用',
  queue: '正在为您转接人工客服，您前面还有 {n} 位',
  queueNext: '马上为您接入人工客服，您是下一位',
  assigned: '客服 {agent} 为您服务',
  typing: '对方正在输入…',
  read: '已读',
  unread: '未读',
  sending: '发送中',
  placeholder: '请输入您的问题，Enter 发送，Shift+Enter 换行',
  send: '发送',
  emoji: '表情',
  attach: '发送图片或文件',
  uploading: '正在上传 {name}…',
  uploadFailed: '上传失败：{msg}',
  tooLong: '消息过长（最多 5000 字）',
  closed: '本次咨询已结束',
  rate: '评价本次服务',
  again: '如还有问题，可直接发送消息继续咨询。',
  identifiedFailed: '身份校验未通过，已作为访客接入',
  you: '我',
  agent: '客服',
  system: '系统消息',
  file: '文件',
  openFile: '查看',
  error: '出错了：{msg}',
  poweredBy: 'kefu 客服系统',
}

export type ChatWords = typeof zh

const en: ChatWords = {
  title: 'Live chat',
  connecting: 'Connecting…',
  reconnecting: 'Connection unstable, reconnecting…',
  reconnect: 'Reconnect',
  offline: 'Disconnected',
  unavailable: 'Live chat is not available right now',
  notFound: 'This chat does not exist or is switched off',
  queue: 'Connecting you to an agent: {n} ahead of you',
  queueNext: 'You are next in line for an agent',
  assigned: '{agent} is serving you',
  typing: 'Typing…',
  read: 'Read',
  unread: 'Unread',
  sending: 'Sending',
  placeholder: 'Type your question; Enter sends, Shift+Enter for a new line',
  send: 'Send',
  emoji: 'Emoji',
  attach: 'Send an image or file',
  uploading: 'Uploading {name}…',
  uploadFailed: 'Upload failed: {msg}',
  tooLong: 'Message too long (5000 characters at most)',
  closed: 'This chat has ended',
  rate: 'Rate this service',
  again: 'Still need help? Just send a message to continue.',
  identifiedFailed: 'Identity check failed; you are chatting as a guest',
  you: 'Me',
  agent: 'Agent',
  system: 'System',
  file: 'File',
  openFile: 'Open',
  error: 'Error: {msg}',
  poweredBy: 'kefu customer service',
}

export function words(lang: string | null | undefined): ChatWords {
  return lang === 'en' ? en : zh
}

/** Fill `{name}` placeholders. */
export function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}
