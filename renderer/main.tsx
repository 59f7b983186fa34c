/** The renderer's entry: picks the transport, follows the OS theme, renders the app. */
import { FluentProvider, makeStaticStyles, webDarkTheme, webLightTheme } from '@fluentui/react-components';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi, type ApiClient } from './api/api.ts';
import { ApiProvider } from './api/context.tsx';
import { App } from './App.tsx';
import { useOsColorScheme } from './components/theme.ts';

/** Fluent's typography components render real headings and paragraphs: no browser margins on them. */
const useResetStyles = makeStaticStyles({
  body: { margin: 0 },
  'h1, h2, h3, h4, h5, h6, p, dl, dd, figure': { margin: 0 },
});

function Root({ api }: { api: ApiClient }) {
  useResetStyles();
  const scheme = useOsColorScheme();
  const theme = scheme === 'dark' ? webDarkTheme : webLightTheme;
  // The page behind the provider (overscroll, scrollbars) takes the theme's colours too.
  useEffect(() => {
    document.documentElement.style.colorScheme = scheme;
    document.body.style.backgroundColor = theme.colorNeutralBackground2;
  }, [scheme, theme]);
  return (
    <FluentProvider theme={theme} data-theme={scheme} data-testid="app-root">
      <ApiProvider api={api}>
        <App />
      </ApiProvider>
    </FluentProvider>
  );
}

const api = createApi();
const container = document.getElementById('root');
if (!container) throw new Error('The page has no #root element.');
createRoot(container).render(
  <StrictMode>
    <Root api={api} />
  </StrictMode>,
);
