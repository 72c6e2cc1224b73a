/** Vite asset imports used by the browser pages (`?url`: the bundled file's URL). */
declare module '*?url' {
  const url: string;
  export default url;
}
