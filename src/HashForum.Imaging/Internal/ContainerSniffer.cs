namespace HashForum.Imaging.Internal;

/// <summary>Recognises containers by their signature, and names the ones we refuse.</summary>
internal static class ContainerSniffer
{
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];

    public static string Name(ContainerKind kind) => kind switch
    {
        ContainerKind.Jpeg => "jpeg",
        ContainerKind.Png => "png",
        ContainerKind.Gif => "gif",
        _ => "webp",
    };

    public static string DisplayName(ContainerKind kind) => kind switch
    {
        ContainerKind.Jpeg => "JPEG",
        ContainerKind.Png => "PNG",
        ContainerKind.Gif => "GIF",
        _ => "WebP",
    };

    /// <summary>
    /// Returns the container, or throws: <see cref="ImageDecodeError.Truncated"/> when the data is
    /// a proper prefix of a signature, <see cref="ImageDecodeError.UnsupportedFormat"/> otherwise.
    /// </summary>
    public static ContainerKind Detect(ReadOnlySpan<byte> data)
    {
        if (StartsWith(data, JpegSignature, out var jpegPrefix))
        {
            return ContainerKind.Jpeg;
        }

        if (StartsWith(data, PngStructure.Signature, out var pngPrefix))
        {
            return ContainerKind.Png;
        }

        var gif87 = StartsWith(data, "GIF87a"u8, out var gif87Prefix);
        if (gif87 || StartsWith(data, "GIF89a"u8, out var gif89Prefix))
        {
            return ContainerKind.Gif;
        }

        var riff = StartsWith(data, "RIFF"u8, out var riffPrefix);
        if (riff && data.Length >= 12 && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return ContainerKind.Webp;
        }

        var webpPrefix = riffPrefix || (riff && data.Length < 12 && (data.Length <= 8 || "WEBP"u8.StartsWith(data[8..])));
        if (jpegPrefix || pngPrefix || gif87Prefix || gif89Prefix || webpPrefix)
        {
            throw new ImageDecodeException(ImageDecodeError.Truncated, "The file is truncated: it ends inside the image header. Upload the complete file.");
        }

        var refused = NameRefused(data);
        var message = refused is null
            ? "The file is not a JPEG, PNG, GIF or WebP image. Send one of those formats."
            : $"{refused} images are not accepted. Send a JPEG, PNG, GIF or WebP image.";
        throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat, message);
    }

    // Names formats people commonly send, for a clearer message; none of them is decoded.
    private static string? NameRefused(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("BM"u8))
        {
            return "BMP";
        }

        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8))
        {
            return "TIFF";
        }

        if (data.Length >= 3 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'7' && data[2] is (byte)'\n' or (byte)'\r' or (byte)' ' or (byte)'\t')
        {
            return "PBM/PGM/PPM";
        }

        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = data.Slice(8, 4);
            return brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8) ? "AVIF" : "HEIF/HEIC";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) || data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]))
        {
            return "JPEG XL";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]))
        {
            return "JPEG 2000";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0x00]) || data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x02, 0x00]))
        {
            return "ICO/CUR";
        }

        return data.StartsWith("8BPS"u8) ? "Photoshop" : null;
    }

    /// <summary>True when <paramref name="data"/> starts with the signature; <paramref name="isPrefix"/> when it is shorter and agrees so far.</summary>
    private static bool StartsWith(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, out bool isPrefix)
    {
        if (data.Length >= signature.Length)
        {
            isPrefix = false;
            return data.StartsWith(signature);
        }

        isPrefix = signature.StartsWith(data);
        return false;
    }
}
