namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>One component of a frame header (SOF): its id, sampling factors and quantisation table.</summary>
internal readonly record struct JpegComponent(int Id, int Horizontal, int Vertical, int QuantTable);

/// <summary>
/// What the fast path needs from a JPEG's headers: the size and the components (the first is luma).
/// Made only by <see cref="JpegLumaDecoder.TryReadFrame"/>, for files the fast path can decode.
/// </summary>
internal sealed class JpegFrame
{
    public JpegFrame(int width, int height, JpegComponent[] components)
    {
        Width = width;
        Height = height;
        Components = components;
        foreach (var component in components)
        {
            MaxHorizontal = Math.Max(MaxHorizontal, component.Horizontal);
            MaxVertical = Math.Max(MaxVertical, component.Vertical);
        }
    }

    public int Width { get; }

    public int Height { get; }

    public JpegComponent[] Components { get; }

    public int MaxHorizontal { get; }

    public int MaxVertical { get; }

    /// <summary>Blocks across and down a component when it is coded alone (a non-interleaved scan).</summary>
    public (int Across, int Down) BlocksOf(JpegComponent component) =>
        (CeilDiv(CeilDiv(Width * component.Horizontal, MaxHorizontal), 8), CeilDiv(CeilDiv(Height * component.Vertical, MaxVertical), 8));

    /// <summary>MCUs across and down an interleaved scan.</summary>
    public (int Across, int Down) Mcus => (CeilDiv(Width, 8 * MaxHorizontal), CeilDiv(Height, 8 * MaxVertical));

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;
}
