// A handful of 16×16 stroke icons, drawn inline so no glyph depends on installed fonts.

const PATHS: Record<string, string> = {
  first: 'M4 3v10M13 3.5 6.5 8l6.5 4.5z',
  back: 'M11.5 3.5 5 8l6.5 4.5z',
  play: 'M5 3.2v9.6L12.6 8z',
  pause: 'M5 3.5v9M11 3.5v9',
  forward: 'M4.5 3.5 11 8l-6.5 4.5z',
  last: 'M12 3v10M3 3.5 9.5 8 3 12.5z',
  theme: 'M8 2.5a5.5 5.5 0 1 0 0 11zM8 2.5a5.5 5.5 0 0 1 0 11',
  help: 'M6.2 6.1a1.9 1.9 0 1 1 2.6 1.8c-.5.2-.8.6-.8 1.1v.6M8 11.6v.2',
};

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 14 }: { name: IconName; size?: number }) {
  const filled = name === 'first' || name === 'back' || name === 'play' || name === 'forward' || name === 'last';
  return (
    <svg className={`icon icon-${name}`} width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      {name === 'help' && <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.4" />}
      <path
        d={PATHS[name]}
        fill={filled ? 'currentColor' : name === 'theme' ? 'none' : 'none'}
        stroke="currentColor"
        strokeWidth={filled ? 1 : 1.6}
        strokeLinecap="round"
        strokeLinejoin="round"
      />
      {name === 'theme' && <path d="M8 2.5a5.5 5.5 0 0 0 0 11z" fill="currentColor" />}
    </svg>
  );
}
