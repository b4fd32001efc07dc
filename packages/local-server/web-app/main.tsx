import '@coord/runner-ui/styles.css';
import './app.css';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { LINK_IN_ADDRESS } from './sign-in-page.js';

// A sign-in link opened while signed in comes here from /sign-in (the server sends the signed-in
// on, and the browser keeps the fragment): its code is not needed, and must not stay in the
// address bar or in history.
if (location.pathname !== '/sign-in' && LINK_IN_ADDRESS.test(location.hash)) {
  history.replaceState(null, '', location.pathname + location.search);
}

createRoot(document.getElementById('root')!).render(<App />);
