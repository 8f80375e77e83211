namespace HashForum.Imaging.Internal;

/// <summary>The four containers we decode.</summary>
internal enum ContainerKind
{
    Jpeg,
    Png,
    Gif,
    Webp,
}
