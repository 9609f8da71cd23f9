// Text imports (`with { type: "text" }`) of the embedded assets are strings.
declare module "*.css" {
  const text: string;
  export default text;
}
