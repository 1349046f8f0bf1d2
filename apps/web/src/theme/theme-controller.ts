// Keeps `<html data-theme>` on the effective theme (the user's pick, or the OS preference until there is one). The
// colour roles themselves are a style sheet generated from the seed colour (material-theme.generated.css), so the
// colour library stays out of the page's JavaScript.
import type { AppStore } from '../core/app-store';
import './material-theme.generated.css';

export function installTheme(document: Document, store: AppStore): void {
  const apply = () => {
    document.documentElement.dataset['theme'] = store.current.effectiveTheme;
  };
  apply();
  store.subscribe(apply);
}
