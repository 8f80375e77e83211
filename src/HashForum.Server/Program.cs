using HashForum.Server.Hosting;

// `HashForum.Server bootstrap` prints a first operator key; anything else serves (see README, "Running").
if (args is [BootstrapCommand.Verb, ..])
{
    return await BootstrapCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

var app = ServerApplication.Build(ServerApplication.CreateBuilder(args));
await app.RunAsync().ConfigureAwait(false);
return 0;
