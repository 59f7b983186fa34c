/** `import file from './x.png?asset'`: electron-vite copies the file next to the main bundle and gives its absolute path. */
declare module '*?asset' {
  const file: string;
  export default file;
}
