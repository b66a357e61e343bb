using System.Collections.Concurrent;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace Ganymede.Kernel.Execution;

/// <summary>
/// The XML documentation of loaded assemblies (the .xml file beside each .dll), for inspection. Cells reference
/// assemblies as loaded objects, which carry no documentation, so it is looked up here by the member's id.
/// </summary>
internal static class XmlDocumentation
{
    private static readonly ConcurrentDictionary<string, Dictionary<string, XElement>> Files = new();

    public static XElement? For(ISymbol symbol)
    {
        var id = symbol.OriginalDefinition.GetDocumentationCommentId();
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == symbol.ContainingAssembly?.Name);
        if (id is null || assembly is null || string.IsNullOrEmpty(assembly.Location)) return null;
        var members = Files.GetOrAdd(Path.ChangeExtension(assembly.Location, ".xml"), Load);
        return members.GetValueOrDefault(id);
    }

    private static Dictionary<string, XElement> Load(string path) => !File.Exists(path) ? [] :
        XDocument.Load(path).Descendants("member").Where(m => m.Attribute("name") is not null)
            .GroupBy(m => m.Attribute("name")!.Value).ToDictionary(g => g.Key, g => g.First());
}
