/** Callback, block and action ids shared by the Block Kit builders and the listeners that read them. */
export const IDS = {
  requestModal: 'delegate_request',
  denyModal: 'delegate_deny',
  mailboxBlock: 'mailbox',
  mailboxInput: 'mailbox_input',
  reasonBlock: 'reason',
  reasonInput: 'reason_input',
  durationBlock: 'duration',
  durationInput: 'duration_select',
  denyReasonBlock: 'deny_reason',
  denyReasonInput: 'deny_reason_input',
  decisionBlock: 'decision',
  approveAction: 'approve_request',
  denyAction: 'deny_request',
} as const;
