import { useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'coord-theme';

function stored(): ThemeChoice {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/**
 * The colour theme: the system's (prefers-color-scheme, in CSS) unless a person chose one. The
 * choice is the `data-theme` attribute of the root element, and is remembered in localStorage.
 */
export function useTheme(
  root: HTMLElement | undefined = globalThis.document?.documentElement,
): [ThemeChoice, (t: ThemeChoice) => void] {
  const [theme, setTheme] = useState<ThemeChoice>(stored);
  useEffect(() => {
    if (!root) return;
    if (theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', theme);
    try {
      if (theme === 'system') globalThis.localStorage?.removeItem(STORAGE_KEY);
      else globalThis.localStorage?.setItem(STORAGE_KEY, theme);
    } catch {
      // storage refused (private mode): the choice lasts for this page only
    }
  }, [root, theme]);
  return [theme, setTheme];
}

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const LABEL: Record<ThemeChoice, string> = {
  system: 'Theme: system',
  light: 'Theme: light',
  dark: 'Theme: dark',
};

/** Cycles system → light → dark. */
export function ThemeToggle({ theme, onChange }: { theme: ThemeChoice; onChange: (t: ThemeChoice) => void }) {
  return (
    <button
      type="button"
      className="cr-button cr-button-quiet cr-theme-toggle"
      onClick={() => onChange(NEXT[theme])}
      aria-label={LABEL[theme]}
      title={LABEL[theme]}
    >
      {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
    </button>
  );
}
