// The customer chat page (chat.html, served at /chat): Vue only — no Element Plus, no router, no vue-i18n.
import { createApp } from 'vue'
import ChatApp from './ChatApp.vue'

createApp(ChatApp).mount('#chat')
