using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Scripting;

namespace Ganymede.Scripting;

/// <summary>
/// papermill's convention in C#: a run's values are declared in a cell injected after the notebook's cell tagged
/// "parameters" (at the top when it has none), so the notebook keeps its defaults when run by hand and a run overrides
/// them. A value takes the type its default was declared with (an int stays an int); a name the notebook did not declare
/// gets the JSON value's own type. Every value also stays in Parameters.
/// </summary>
public static class NotebookParameters
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(int)] = "int", [typeof(long)] = "long", [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal",
        [typeof(bool)] = "bool", [typeof(string)] = "string", [typeof(object)] = "object", [typeof(JsonNode)] = "System.Text.Json.Nodes.JsonNode",
    };

    /// <summary>
    /// The injected cell's code for <paramref name="values"/>, given the variables declared so far. Names that are not C#
    /// names are left to Parameters, with a line in <paramref name="notes"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">a value does not fit the type its default was declared with.</exception>
    public static string Code(string notebook, JsonObject values, IEnumerable<ScriptVariable> declared, ICollection<string> notes)
    {
        var types = declared.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.Last().Type);
        var code = new StringBuilder($"#line 1 \"{notebook} injected-parameters\"\n");
        foreach (var (name, value) in values)
        {
            if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
            {
                notes.Add($"parameter '{name}' is not a C# name; the notebook reads it with Parameter<T>(\"{name}\", fallback)");
                continue;
            }
            var type = types.GetValueOrDefault(name) ?? NaturalType(value);
            if (!Keywords.ContainsKey(type) && !(type.IsArray && Keywords.ContainsKey(type.GetElementType()!)))
                throw new InvalidDataException($"parameter '{name}': the notebook declares it as {type.Name}; a run can set numbers, text, true/false, arrays of them and JSON");
            code.Append(CultureInfo.InvariantCulture, $"{Name(type)} {name} = {Literal(name, value, type)};\n");
        }
        return code.ToString();
    }

    private static Type NaturalType(JsonNode? value) => value switch
    {
        null => typeof(object),
        JsonArray a when a.Count > 0 && a.All(e => e is JsonValue) => NaturalType(a[0]) is var first && a.All(e => NaturalType(e) == first) ? first.MakeArrayType()
            : a.All(e => NaturalType(e) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(double))) ? typeof(double[]) : typeof(JsonNode),
        JsonValue v when v.TryGetValue<bool>(out _) => typeof(bool),
        JsonValue v when v.TryGetValue<string>(out _) => typeof(string),
        JsonValue v when v.TryGetValue<int>(out _) => typeof(int),
        JsonValue v when v.TryGetValue<long>(out _) => typeof(long),
        JsonValue => typeof(double),
        _ => typeof(JsonNode),
    };

    private static string Name(Type type) => type.IsArray ? Keywords[type.GetElementType()!] + "[]" : Keywords[type];

    private static string Literal(string name, JsonNode? value, Type type)
    {
        if (type == typeof(JsonNode)) return value is null ? "null" : $"System.Text.Json.Nodes.JsonNode.Parse({Quote(value.ToJsonString())})";
        if (value is null) return type.IsValueType ? throw Wrong(name, value, type) : "null";
        if (type.IsArray)
            return value is JsonArray items
                ? $"new {Keywords[type.GetElementType()!]}[] {{ {string.Join(", ", items.Select(e => Literal(name, e, type.GetElementType()!)))} }}"
                : throw Wrong(name, value, type);
        if (value is not JsonValue scalar) throw Wrong(name, value, type);
        // A value typed into a form arrives as text: "5" sets an int as 5 does.
        string text = scalar.TryGetValue<string>(out var s) ? s : scalar.ToJsonString();
        var inv = CultureInfo.InvariantCulture;
        return type switch
        {
            _ when type == typeof(string) => Quote(text),
            _ when type == typeof(object) => Literal(name, value, NaturalType(value)),
            _ when type == typeof(bool) => text is "true" or "false" ? text : throw Wrong(name, value, type),
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.AllowLeadingSign, inv, out var i) ? i.ToString(inv) : throw Wrong(name, value, type),
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.AllowLeadingSign, inv, out var l) ? l.ToString(inv) + "L" : throw Wrong(name, value, type),
            _ when type == typeof(decimal) => decimal.TryParse(text, NumberStyles.Float, inv, out var m) ? m.ToString(inv) + "M" : throw Wrong(name, value, type),
            _ when type == typeof(float) => float.TryParse(text, NumberStyles.Float, inv, out var f) && float.IsFinite(f) ? f.ToString("R", inv) + "F" : throw Wrong(name, value, type),
            _ => double.TryParse(text, NumberStyles.Float, inv, out var d) && double.IsFinite(d) ? d.ToString("R", inv) + "D" : throw Wrong(name, value, type),
        };
    }

    private static string Quote(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    private static InvalidDataException Wrong(string name, JsonNode? value, Type type)
    {
        string kind = type.IsArray ? "an array of " + Name(type.GetElementType()!) : ("aeiou".Contains(Name(type)[0]) ? "an " : "a ") + Name(type);
        return new($"parameter '{name}': {value?.ToJsonString() ?? "null"} is not {kind}, the type its default has in the notebook");
    }
}
