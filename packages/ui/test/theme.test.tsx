import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ThemeToggle, useTheme } from '../src/index.js';

function Harness() {
  const [theme, setTheme] = useTheme();
  return <ThemeToggle theme={theme} onChange={setTheme} />;
}

afterEach(() => {
  localStorage.clear();
  document.documentElement.removeAttribute('data-theme');
});

describe('theme', () => {
  it('follows the system until a person picks light or dark, and remembers the pick', () => {
    render(<Harness />);
    const root = document.documentElement;
    expect(root.hasAttribute('data-theme')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Theme: system' }));
    expect(root.getAttribute('data-theme')).toBe('light');
    fireEvent.click(screen.getByRole('button', { name: 'Theme: light' }));
    expect(root.getAttribute('data-theme')).toBe('dark');
    expect(localStorage.getItem('coord-theme')).toBe('dark');
    fireEvent.click(screen.getByRole('button', { name: 'Theme: dark' }));
    expect(root.hasAttribute('data-theme')).toBe(false);
    expect(localStorage.getItem('coord-theme')).toBeNull();
  });

  it('a remembered pick applies on the next visit', () => {
    localStorage.setItem('coord-theme', 'dark');
    render(<Harness />);
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    expect(screen.getByRole('button', { name: 'Theme: dark' })).toBeTruthy();
  });
});
