export { ApproverGroup } from './approver-group.js';
export { baseActionId, messageToBlocks, SLACK_LIMITS } from './blocks.js';
export { registerSlackHandlers, type SlackHandlerDeps } from './handlers.js';
export { PROPOSE_CALLBACK_ID, proposeModal, readProposeSubmission } from './propose-modal.js';
export { interactionKey, ReplayGuard } from './replay-guard.js';
export { SlackSettings, type SlackSecrets } from './schema.js';
export { createSlackApp, slackMode, type SlackApp } from './slack-app.js';
export { SlackChat } from './slack-chat.js';
