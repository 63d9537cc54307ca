package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link HelmSubset} renders its subset as Helm does and refuses the rest by name. */
@Tag("unit")
class HelmSubsetTest {
    private static final Map<String, Object> VALUES = Map.of(
            "name", "a b", "port", 8081, "big", 268435456, "on", true, "off", false, "empty", Map.of(),
            "map", Map.of("b", 1, "a", List.of("x", "8081")));

    @Test
    void valuesAndQuote_printAsHelmDoes() {
        assertEquals("n: a b, p: 8081, q: \"8081\", t: true",
                     render("n: {{ .Values.name }}, p: {{ .Values.port }}, q: {{ .Values.port | quote }}, t: {{ .Values.on }}"));
        assertEquals("r c", render("{{ .Release.Name }} {{ .Chart.Name }}"));
    }

    @Test
    void trimMarkers_eatWhitespaceOnTheirSide() {
        assertEquals("a:b\n", render("a:  \n  {{- .Values.port | quote -}}  \n b\n").replace("\"8081\"", ""));
    }

    @Test
    void ifElse_followsHelmsTruth() {
        assertEquals("yes no no no", render("{{ if .Values.on }}yes{{ end }} {{ if .Values.off }}yes{{ else }}no{{ end }}"
                                            + " {{ if .Values.empty }}yes{{ else }}no{{ end }}"
                                            + " {{ if .Values.missing }}yes{{ else }}no{{ end }}"));
    }

    @Test
    void toYamlAndNindent_writeSortedKeysAndKeepQuotedNumbersStrings() {
        assertEquals("m:\n  a:\n    - x\n    - \"8081\"\n  b: 1", render("m:{{ toYaml .Values.map | nindent 2 }}"));
    }

    @Test
    void defineAndInclude_renderWithTheRoot() {
        assertEquals("x: r", render("{{- define \"t\" -}}\n{{ .Release.Name }}\n{{- end }}x: {{ include \"t\" . }}"));
    }

    @Test
    void unknownConstructs_fail() {
        for (String template : List.of("{{ range .Values.map }}{{ end }}", "{{ .Values.name | upper }}",
                                       "{{ default \"x\" .Values.name }}", "{{ $x := 1 }}", "{{ with .Values.map }}{{ end }}",
                                       "{{ if .Values.on }}open", "{{ end }}", "{{ .Values.map }}", "{{ .Values.missing }}",
                                       "{{ .Values.big }}", "{{ .Values.big | quote }}", "{{ .Values.name.x }}",
                                       "{{ include \"nothing\" . }}", "{{ .Capabilities.KubeVersion }}")) {
            HelmSubset.Unsupported e = assertThrows(HelmSubset.Unsupported.class, () -> render(template), template);
            assertTrue(!e.getMessage().isBlank(), template);
        }
    }

    private static String render(String template) {
        return HelmSubset.renderText(template, VALUES);
    }
}
