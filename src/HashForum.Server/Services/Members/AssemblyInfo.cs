using System.Runtime.CompilerServices;

// The member API's tests start the server in-process (ServerApplication is internal), as HashForum.Server.Tests does.
[assembly: InternalsVisibleTo("HashForum.MemberApi.Tests")]
