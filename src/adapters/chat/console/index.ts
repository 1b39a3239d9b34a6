export { ConsoleChat } from './console-chat.js';
export { ConsoleSession, runConsole } from './console-session.js';
export { renderMessage, renderReply, renderStatusLine } from './renderer.js';
export { ConsoleChatConfig } from './schema.js';
