// The workspace's hook for something that needs the agent now (a new chat): a short chime and, when the
// tab is in the background and the browser allows it, a system notification. Both fail quietly.

let audio: AudioContext | null = null

/** Two short tones through Web Audio (no sound file to ship). */
export function chime(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext
    if (!Ctx) return
    audio ??= new Ctx()
    const ctx = audio
    const t0 = ctx.currentTime
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.frequency.value = freq
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.15)
      gain.gain.exponentialRampToValueAtTime(0.15, t0 + i * 0.15 + 0.02)
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.15 + 0.14)
      osc.connect(gain).connect(ctx.destination)
      osc.start(t0 + i * 0.15)
      osc.stop(t0 + i * 0.15 + 0.15)
    }
  } catch {
    /* no audio (autoplay policy, no device) */
  }
}

/** Ask once for permission to show notifications (call from a click). */
export function askNotificationPermission(): void {
  try {
    if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission()
  } catch {
    /* unsupported */
  }
}

/** Whether the browser would show a system notification now (asked and allowed). */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  try {
    return 'Notification' in window ? Notification.permission : 'unsupported'
  } catch {
    return 'unsupported'
  }
}

/**
 * Chime, and show a system notification when the tab is in the background. `system: false` keeps it
 * to the chime (the user has not opted in); `tag` replaces an earlier notification with the same tag.
 */
export function announce(title: string, body: string, opts: { system?: boolean; tag?: string } = {}): void {
  chime()
  if (opts.system === false) return
  try {
    if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      const n = new Notification(title, { body, tag: opts.tag ?? 'kefu-chat' })
      n.onclick = () => {
        window.focus()
        n.close()
      }
    }
  } catch {
    /* unsupported */
  }
}
