using HashForum.Server.Hosting;

// `HashForum.Server bootstrap` prints a first operator key; anything else serves (see README, "Running").
if (args is [BootstrapCommand.Verb, ..])
{
    return await BootstrapCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

return await ServerApplication.RunAsync(args, Console.Error).ConfigureAwait(false);
