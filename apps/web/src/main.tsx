// The web client's entry: the theme is applied before the first paint (no flash of the wrong one), then the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { createAppServices } from './app/app-services';
import { installTheme } from './theme/theme-controller';
import './app/styles.css';

const services = createAppServices();
installTheme(document, services.store);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App services={services} />
  </StrictMode>,
);
