using HashForum.Imaging;
using Microsoft.Extensions.Options;

namespace HashForum.Server.Services.Members;

/// <summary>Registration of the member API (lookup, hashing, contribute, sync, labels).</summary>
internal static class MemberApiServiceCollectionExtensions
{
    public static IServiceCollection AddMemberApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MemberApiOptions>()
            .Bind(configuration.GetSection(MemberApiOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ImageLimits>()
            .Bind(configuration.GetSection(ImageLimits.SectionName))
            .Validate(ValidLimits, "Image limits (HashForum:Images) are out of range; see ImageLimits for the ranges.")
            .ValidateOnStart();
        services.AddSingleton(sp => new ImageDecoder(sp.GetRequiredService<IOptions<ImageLimits>>().Value));
        services.AddSingleton<ImageHashing>();
        services.AddSingleton<LabelTaxonomy>();
        services.AddSingleton<LookupEngine>();

        // The service classes hold no per-call state: registered, grpc-dotnet resolves the one instance instead of
        // constructing a new one for every call (the lookup path is the hot one).
        services.AddSingleton<LookupService>();
        services.AddSingleton<HashingService>();
        services.AddSingleton<ContributeService>();
        services.AddSingleton<SyncService>();
        services.AddSingleton<LabelService>();
        return services;
    }

    private static bool ValidLimits(ImageLimits limits)
    {
        try
        {
            limits.Validate();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }
}
