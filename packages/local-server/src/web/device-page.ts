import { escape, page, type Viewer } from './html.js';
import type { PendingDevice } from '../db/device-codes.js';

/** The form a person fills in to approve a runner's sign-in: the code, typed or from the link. */
export function deviceCodePage(viewer: Viewer, code: string, error?: string): string {
  return page(
    'Sign in a runner',
    `<h1>Sign in a runner</h1>
<p>Enter the code your runner shows (for example <code>BCDF-GHJK</code>).</p>
${error ? `<p class="waiting">${escape(error)}</p>` : ''}
<form method="get" action="/device"><input name="code" value="${escape(code)}" autocomplete="off" autofocus required> <button type="submit">Continue</button></form>`,
    { viewer },
  );
}

/** What is asking, and the two answers. Approving gives it a new token of the viewer's account. */
export function deviceConfirmPage(viewer: Viewer, pending: PendingDevice): string {
  const hidden = `<input type="hidden" name="csrf" value="${escape(viewer.csrf)}"><input type="hidden" name="code" value="${escape(pending.userCode)}">`;
  return page(
    'Sign in a runner',
    `<h1>Sign in a runner</h1>
<section class="interaction"><p><strong>${escape(pending.clientName)}</strong> asks to run jobs as <strong>${escape(viewer.account.name)}</strong>, with code <code>${escape(pending.userCode)}</code>.</p>
<p>Approve only if you started this sign-in and the code matches what your terminal shows.</p>
<form class="inline" method="post" action="/device">${hidden}<input type="hidden" name="decision" value="approve"><button type="submit">Approve</button></form>
<form class="inline" method="post" action="/device">${hidden}<input type="hidden" name="decision" value="deny"><button type="submit">Deny</button></form></section>`,
    { viewer },
  );
}

export function deviceDonePage(viewer: Viewer, approved: boolean): string {
  return page(
    approved ? 'Runner signed in' : 'Sign-in denied',
    approved
      ? '<h1>Runner signed in</h1><p>You can go back to your terminal: the runner has its token.</p>'
      : '<h1>Sign-in denied</h1><p>The runner was told no. Nothing was given to it.</p>',
    { viewer },
  );
}
