using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>Hashes an image for the caller and forgets it: nothing is stored or logged.</summary>
[RequiresScope(Scopes.Lookup)]
internal sealed class HashingService(ImageHashing hashing) : V1.HashingService.HashingServiceBase
{
    public override Task<V1.ImageHashes> HashImage(V1.HashImageRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hashes = hashing.Hash(request.Image.Span, "image", request.Dihedral, out var variants);
        if (request.Dihedral)
        {
            foreach (var variant in Enum.GetValues<Hashing.Pdq.DihedralVariant>())
            {
                hashes.Variants.Add(new V1.VariantHash { Variant = Hashing.Pdq.DihedralVariantNames.ToName(variant), Pdq = variants[variant].ToString() });
            }
        }

        return Task.FromResult(hashes);
    }
}
