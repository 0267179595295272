// Webview entry (panels arrive with the compare/evaluate issue).
export {};
