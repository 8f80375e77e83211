using HashForum.Hashing.Pdq;
using HashForum.Imaging;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>
/// Decodes an uploaded image (within <see cref="ImageLimits"/>) and computes its PDQ (optionally all 8 dihedral
/// variants), quality and digests. Nothing is kept or logged. Thread-safe: one hasher per thread.
/// </summary>
internal sealed class ImageHashing(ImageDecoder decoder)
{
    [ThreadStatic]
    private static PdqHasher? t_hasher;

    /// <summary>The hashes of <paramref name="image"/>; <paramref name="variants"/> is filled when dihedral.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming <paramref name="field"/> when the image cannot be decoded.</exception>
    public V1.ImageHashes Hash(ReadOnlySpan<byte> image, string field, bool dihedral, out DihedralHashes variants)
    {
        LumaImage luma;
        try
        {
            luma = decoder.Decode(image);
        }
        catch (ImageDecodeException ex)
        {
            throw RequestErrors.Invalid(field, Describe(ex));
        }

        using (luma)
        {
            var hasher = t_hasher ??= new PdqHasher();
            Hash256 pdq;
            int quality;
            if (dihedral)
            {
                variants = hasher.HashDihedral(luma.Pixels, luma.Width, luma.Height);
                pdq = variants.Original;
                quality = variants.Quality;
            }
            else
            {
                variants = default;
                var single = hasher.Hash(luma.Pixels, luma.Width, luma.Height);
                pdq = single.Hash;
                quality = single.Quality;
            }

            var (md5, sha256) = ExactDigests.ComputeHex(image);
            return new V1.ImageHashes
            {
                Pdq = pdq.ToString(),
                Quality = quality,
                Md5 = md5,
                Sha256 = sha256,
                Width = luma.Width,
                Height = luma.Height,
                Format = luma.Format,
            };
        }
    }

    private static string Describe(ImageDecodeException ex) => ex.Error switch
    {
        ImageDecodeError.Empty => "no image bytes were sent.",
        ImageDecodeError.UnsupportedFormat => "not a supported image (JPEG, PNG, GIF or WebP): " + ex.Message,
        ImageDecodeError.TooLarge => "the image exceeds the server's limits: " + ex.Message,
        ImageDecodeError.TooComplex => "the image would cost too much to decode: " + ex.Message,
        ImageDecodeError.Truncated => "the image data ends early (an interrupted upload?): " + ex.Message,
        _ => "the image is damaged: " + ex.Message,
    };
}
