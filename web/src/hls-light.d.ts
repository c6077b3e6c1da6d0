// hls.js ships its light build (no subtitles, alternate audio, DRM or CMCD,
// which Reelmart's ladders never use) without its own type declarations;
// its API is the full build's.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
