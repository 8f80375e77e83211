namespace HashForum.Imaging;

/// <summary>
/// What <see cref="ImageDecoder.Identify"/> learns from an image's headers without decoding pixels.
/// </summary>
/// <param name="Format">"jpeg", "png", "gif" or "webp".</param>
/// <param name="Width">Width in pixels (for GIF, the logical screen).</param>
/// <param name="Height">Height in pixels (for GIF, the logical screen).</param>
public sealed record ImageInfo(string Format, int Width, int Height);
