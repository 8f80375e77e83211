using HashForum.Hashing.Pdq;
using HashForum.Imaging;

namespace HashForum.Conformance.Tests;

/// <summary>
/// Our decoder and hasher against Meta's reference library on Meta's own test images: the bars of
/// issue 2 (lossless identical, lossy within 4 bits at quality >= 80, quality within 1 everywhere),
/// for the hash and for each of the eight dihedral variants.
/// </summary>
[TestFixture]
public sealed class PdqConformanceTests
{
    /// <summary>Our bar for lossy inputs of quality 80 or more (Meta's own is 10).</summary>
    private const int LossyMaxDistance = 4;

    private readonly ImageDecoder _decoder = new();
    private string _folder = string.Empty;
    private List<(ReferenceImage Image, PdqHash Ours, DihedralHashes OursDihedral)> _results = [];

    [OneTimeSetUp]
    public void HashEveryImage()
    {
        _folder = ReferenceData.Folder();
        var hasher = new PdqHasher();
        _results = [];
        foreach (var image in ReferenceData.Load(_folder))
        {
            using var luma = _decoder.Decode(File.ReadAllBytes(Path.Combine(_folder, image.File)));
            _results.Add((image, hasher.Hash(luma.Pixels, luma.Width, luma.Height), hasher.HashDihedral(luma.Pixels, luma.Width, luma.Height)));
        }
    }

    [Test]
    public void Reference_ListsEnoughImages()
    {
        Assert.That(_results, Has.Count.GreaterThanOrEqualTo(49), "reference-outputs-fullres.txt lists 49 images");
    }

    [Test]
    public void Hash_LosslessInputs_IdenticalToReference()
    {
        var lossless = _results.Where(r => r.Image.IsLossless(_folder) && r.Image.File != ReferenceData.SixteenBitImage).ToList();

        Assert.That(lossless, Has.Count.GreaterThanOrEqualTo(8));
        Assert.Multiple(() =>
        {
            foreach (var (image, ours, _) in lossless)
            {
                Assert.That(ours.Hash, Is.EqualTo(image.Hash), image.File);
            }
        });
    }

    [Test]
    public void Hash_SixteenBitPng_EqualsScaledHashNotLowByteQuirk()
    {
        // The reference hashes the low byte of each 16-bit sample (a quirk PDQ.md tells us not to
        // copy); scaled to 8 bits, the image hashes as the provenance notes record.
        var (image, ours, _) = _results.Single(r => r.Image.File == ReferenceData.SixteenBitImage);
        var scaled = Hash256.Parse(ReferenceData.SixteenBitScaledHash);

        TestContext.Out.WriteLine($"I16.png: distance {ours.Hash.DistanceTo(scaled)} to the scaled hash, {ours.Hash.DistanceTo(image.Hash)} to the low-byte one");
        Assert.That(ours.Hash, Is.EqualTo(scaled));
    }

    [Test]
    public void Hash_LossyInputs_WithinFourBitsAtQuality80()
    {
        var lossy = _results.Where(r => !r.Image.IsLossless(_folder)).ToList();
        PrintDistribution("hash", lossy.Select(r => (r.Image, r.Image.Hash.DistanceTo(r.Ours.Hash))));

        Assert.Multiple(() =>
        {
            foreach (var (image, ours, _) in lossy.Where(r => r.Image.Quality >= 80))
            {
                Assert.That(ours.Hash.DistanceTo(image.Hash), Is.LessThanOrEqualTo(LossyMaxDistance), image.File);
            }
        });
    }

    [Test]
    public void Quality_EveryImage_WithinOneOfReference()
    {
        Assert.Multiple(() =>
        {
            foreach (var (image, ours, _) in _results)
            {
                Assert.That(ours.Quality, Is.InRange(image.Quality - 1, image.Quality + 1), image.File);
            }
        });
    }

    [Test]
    public void HashDihedral_EveryVariant_MeetsTheSameBars()
    {
        var withDihedral = _results.Where(r => r.Image.Dihedral.Length == 8).ToList();
        Assert.That(withDihedral, Has.Count.GreaterThanOrEqualTo(40), "dihedral-outputs-fullres.txt lists 49 images");

        var distances = new List<(ReferenceImage, int)>();
        Assert.Multiple(() =>
        {
            foreach (var (image, _, ours) in withDihedral.Where(r => r.Image.File != ReferenceData.SixteenBitImage))
            {
                var lossless = image.IsLossless(_folder);
                for (var v = 0; v < 8; v++)
                {
                    var variant = (DihedralVariant)v;
                    var distance = ours[variant].DistanceTo(image.Dihedral[v]);
                    distances.Add((image, distance));
                    if (lossless)
                    {
                        Assert.That(distance, Is.Zero, $"{image.File} {variant.ToName()}");
                    }
                    else if (image.Quality >= 80)
                    {
                        Assert.That(distance, Is.LessThanOrEqualTo(LossyMaxDistance), $"{image.File} {variant.ToName()}");
                    }
                }
            }
        });
        PrintDistribution("dihedral variants", distances);
    }

    [Test]
    public void HashDihedral_RotatedBridgePhotos_MatchTheirVariantOfTheOriginal()
    {
        // The reference ships the bridge photo rotated and flipped as real pixels: each should match the
        // original's corresponding DCT-domain variant at the usual radius, and be far from the others' mean.
        var original = _results.Single(r => r.Image.File.EndsWith("dih/bridge-1-original.jpg", StringComparison.Ordinal)).OursDihedral;
        (string File, DihedralVariant Variant)[] pairs =
        [
            ("dih/bridge-2-rotate-90.jpg", DihedralVariant.Rot90),
            ("dih/bridge-3-rotate-180.jpg", DihedralVariant.Rot180),
            ("dih/bridge-4-rotate-270.jpg", DihedralVariant.Rot270),
            ("dih/bridge-5-flipx.jpg", DihedralVariant.FlipX),
            ("dih/bridge-6-flipy.jpg", DihedralVariant.FlipY),
            ("dih/bridge-7-flip-plus-1.jpg", DihedralVariant.FlipPlus1),
            ("dih/bridge-8-flip-minus-1.jpg", DihedralVariant.FlipMinus1),
        ];

        Assert.Multiple(() =>
        {
            foreach (var (file, variant) in pairs)
            {
                var rotated = _results.Single(r => r.Image.File.EndsWith(file, StringComparison.Ordinal)).Ours.Hash;
                Assert.That(rotated.DistanceTo(original[variant]), Is.LessThanOrEqualTo(PdqHash.DefaultMatchDistance), file);
                Assert.That(rotated.DistanceTo(original.Original), Is.GreaterThan(PdqHash.DefaultMatchDistance), file + " must not match unrotated");
            }
        });
    }

    private static void PrintDistribution(string what, IEnumerable<(ReferenceImage Image, int Distance)> distances)
    {
        var list = distances.ToList();
        TestContext.Out.WriteLine($"Distance to the reference, {what} ({list.Count} values):");
        foreach (var group in list.GroupBy(d => d.Distance).OrderBy(g => g.Key))
        {
            TestContext.Out.WriteLine($"  distance {group.Key,3}: {group.Count(),3}  e.g. {group.First().Image.File} (quality {group.First().Image.Quality})");
        }
    }
}
