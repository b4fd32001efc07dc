import type { ReactNode } from 'react';

/** Nothing to show yet: says what will appear here, and what to do about it. */
export function EmptyState({
  title,
  detail,
  children,
}: {
  title: string;
  detail?: string;
  children?: ReactNode;
}) {
  return (
    <div className="cr-state cr-empty">
      <div className="cr-state-title">{title}</div>
      {detail ? <div className="cr-state-detail">{detail}</div> : null}
      {children}
    </div>
  );
}

/** Something failed: what, the reason given, and what to do next. */
export function ErrorState({
  title,
  detail,
  action,
  children,
}: {
  title: string;
  detail?: string;
  action?: string;
  children?: ReactNode;
}) {
  return (
    <div className="cr-state cr-error" role="alert">
      <div className="cr-state-title">{title}</div>
      {detail ? <div className="cr-state-detail cr-mono">{detail}</div> : null}
      {action ? <div className="cr-state-action">{action}</div> : null}
      {children}
    </div>
  );
}
